# The source bundle: the function folder at the archive root, plus the shared folders and files
# (common/, requirements.txt). The object is named by the archive's MD5, so a change to any bundled
# file uploads a new object and redeploys the function, and an unchanged bundle changes nothing.
# The archive provider writes `source` entries sorted and without timestamps, so the hash depends
# on content only.

locals {
  bundle_dir_files = merge({}, [
    for dir, src in var.bundle_config.extra_dirs : {
      for f in fileset(src, "**") : "${dir}/${f}" => "${src}/${f}"
    }
  ]...)
  bundle_function_files = {
    for f in fileset(var.bundle_config.source_dir, "**") :
    f => "${var.bundle_config.source_dir}/${f}"
  }
  # archive path => local path; the function folder wins over shared files with the same path.
  bundle_files = {
    for path, src in merge(
      local.bundle_dir_files, var.bundle_config.extra_files, local.bundle_function_files
    ) :
    path => src
    if alltrue([for re in var.bundle_config.excludes : length(regexall(re, path)) == 0])
  }
  bundle_output_dir = coalesce(var.bundle_config.output_dir, "${path.root}/.terraform/bundles")
}

data "archive_file" "bundle" {
  type        = "zip"
  output_path = "${local.bundle_output_dir}/${local.name}.zip"

  dynamic "source" {
    for_each = local.bundle_files
    content {
      content  = file(source.value)
      filename = source.key
    }
  }

  lifecycle {
    precondition {
      condition     = !startswith(var.function_config.runtime, "python") || contains(keys(local.bundle_files), "main.py")
      error_message = "No main.py in ${var.bundle_config.source_dir}: nothing to deploy as ${local.name}."
    }
  }
}

resource "google_storage_bucket_object" "bundle" {
  bucket       = var.bundle_config.bucket_name
  name         = "${local.name}/${data.archive_file.bundle.output_md5}.zip"
  source       = data.archive_file.bundle.output_path
  content_type = "application/zip"

  lifecycle {
    # The function keeps pointing at the old object until the new one exists.
    create_before_destroy = true
  }
}

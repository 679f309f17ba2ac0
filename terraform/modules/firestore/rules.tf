# Security rules for client SDK access. The backend uses server client libraries, which bypass
# rules; the rules file keeps phones and browsers from touching the database directly.

resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = basename(var.rules_file)
      content = file(var.rules_file)
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_firebaserules_release" "firestore" {
  project = var.project_id
  # The (default) database takes the classic release name; named databases get their own.
  name = (
    var.database.name == "(default)"
    ? "cloud.firestore"
    : "cloud.firestore/${var.database.name}"
  )
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }

  depends_on = [google_firestore_database.database]
}

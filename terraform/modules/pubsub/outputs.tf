output "id" {
  description = "Topic id (projects/P/topics/T), e.g. for a dead_letter.topic."
  value       = google_pubsub_topic.topic.id
}

output "name" {
  description = "Topic name."
  value       = google_pubsub_topic.topic.name
}

output "subscriptions" {
  description = "Subscription ids by name."
  value       = { for name, s in google_pubsub_subscription.subscriptions : name => s.id }
}

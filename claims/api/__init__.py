"""The claims API: claims scoped to the asker (claims), the review actions and queue (review)."""

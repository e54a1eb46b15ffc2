"""The Flask UI and JSON API over search and expertise (the web issue builds it)."""

"""The browser pages: server-rendered shells that drive the JSON API."""

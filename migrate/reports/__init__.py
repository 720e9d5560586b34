"""Reports rendered for people: JSON, Markdown and self-contained HTML (no outside fetches)."""

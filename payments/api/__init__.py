"""The payments endpoints under /api/v1/ (one module per part; routes in urls.py)."""

"""The dashboard: one HTML shell at `/` and a few ES modules under /static (no build step, no CDN)."""

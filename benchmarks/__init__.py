"""pytest-benchmark cases on seeded instances of the synthetic large network (README.md here)."""

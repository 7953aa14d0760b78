"""The package version: one place, read by the package, the summary of every plan and the build."""

VERSION = "0.1.0"

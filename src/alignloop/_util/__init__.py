"""Private helpers shared by every stage (errors, paths, atomic files, registries)."""

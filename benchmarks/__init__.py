"""Side-by-side benchmarks of skmax against its peers; run ``python -m benchmarks``."""

"""trialflow: raw trial exports in, validated data, statistics and a CONSORT-style report out.

The package does all the work; Snakemake rules in ``workflow/`` are thin adapters over it.
"""

__version__ = "0.1.0"

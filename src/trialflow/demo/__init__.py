"""Demo and synthetic data generators: tools that write raw files, not part of the pipeline.

Nothing in the product (readers, statistics, ``consort``, ``harms``, ``elisa``, report,
pipeline) imports this package; it imports the product where it must write what the product
reads (the disposition log's columns, the adverse-events columns, the ELISA readers and curve
fit the demo plates are checked against).

Modules
-------
:mod:`~trialflow.demo.trial`
    The bundled demo trial (``raw/demo``, reproducing the published study):
    :func:`write_demo_trial`; ``python -m trialflow.demo raw/demo``.
:mod:`~trialflow.demo.functional`
    Its invented functional outcomes as a REDCap export: :func:`write_demo_redcap`,
    :data:`DEMO_CONFIG_YAML`.
:mod:`~trialflow.demo.plates`
    ELISA plate-reader exports and maps whose quantification gives back target
    concentrations: :func:`write_demo_plates`.
:mod:`~trialflow.demo.disposition`
    The demo screening and disposition log: :func:`write_demo_disposition`.
:mod:`~trialflow.demo.adverse_events`
    The demo adverse events: :func:`write_demo_adverse_events`.
:mod:`~trialflow.demo.synthetic`
    A seeded synthetic large trial for benchmarks: :func:`write_synthetic_trial`,
    :func:`add_plate`, and the options of ``trialflow make-synthetic``.
:mod:`~trialflow.demo.kits`, :mod:`~trialflow.demo.numbers`
    What the generators share: simulated ELISA kits; exact-moment sampling and number text.
"""

"""``python -m trialflow.demo OUT_DIR``: write the bundled demo trial's raw files (see :mod:`trialflow.demo.trial`)."""

from trialflow.demo.trial import main

if __name__ == "__main__":
    main()

"""The data dictionary in the docs is generated from the pandera models and kept current."""

from tests.conftest import ROOT
from trialflow.dictionary import data_dictionary


def test_docs_data_dictionary_is_current():
    assert (ROOT / "docs" / "data-dictionary.md").read_text() == data_dictionary()


def test_every_field_has_a_title_and_description():
    from trialflow.dictionary import MODELS

    for model in MODELS:
        for name, column in model.to_schema().columns.items():
            assert column.title and column.description, f"{model.__name__}.{name}"

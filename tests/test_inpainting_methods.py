"""The inpainting study's method names: what each means, and the order of the tables' rows."""

import pytest

from tf_reconstruct.errors import InputError
from tf_reconstruct.studies import inpainting_methods as methods


def test_an_inversion_name_gives_its_start_budget_and_blend():
    spec = methods.inversion_spec
    assert spec("inversion", 100) == ("bank", 100, "paste")
    assert spec("inversion_poisson", 100) == ("bank", 100, "poisson")
    assert spec("inversion_mapping", 100) == ("mapping", 100, "paste")
    assert spec("inversion_mapping_200steps_poisson", 100) == ("mapping", 200, "poisson")
    assert spec("inversion_50steps_feather", 100) == ("bank", 50, "feather")
    for other in ("telea", "patent_full", "inversion_0steps", "inversion_poisson_200steps", "inversion_mappingx"):
        assert spec(other, 100) is None
    # The unsuffixed budget shares its cache name; another budget has its own.
    assert methods.fits_name("bank", 100, 100) == "inversion"
    assert methods.fits_name("mapping", 200, 100) == "inversion_mapping_200steps"


def test_a_budget_sorts_right_after_the_same_inversion_and_unknown_names_go_last():
    order = methods.table_order(["patent_full", "zzz", "inversion_mapping_200steps_poisson", "inversion_poisson",
                                 "inversion_mapping_poisson", "inversion_mapping_50steps_poisson", "telea", "telea"])
    assert order == ["telea", "inversion_poisson", "inversion_mapping_poisson", "inversion_mapping_50steps_poisson",
                     "inversion_mapping_200steps_poisson", "patent_full", "zzz"]


def test_a_run_may_name_a_budget_and_an_unknown_name_is_refused(tmp_path):
    assert methods.chosen_methods(["inversion_200steps", "telea", "inversion"], {}, False) == [
        "telea", "inversion", "inversion_200steps"]
    with pytest.raises(InputError, match="unknown inversion_poisson_200steps; .* such as inversion_200steps_poisson"):
        methods.chosen_methods(["inversion_poisson_200steps"], {}, False)

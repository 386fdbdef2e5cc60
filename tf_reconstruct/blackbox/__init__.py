"""The black-box attack: a system seen only through its outputs (issue 37)."""

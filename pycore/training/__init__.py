"""Training, validation and reporting: CPython only (pandas, scikit-learn, xgboost, matplotlib).

Nothing in the inference path imports this package.
"""

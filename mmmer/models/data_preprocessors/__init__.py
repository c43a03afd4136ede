from .me_data_preprocessor import MEDataPreprocessor  # noqa: F401

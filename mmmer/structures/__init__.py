from .me_data_sample import MEDataSample

__all__ = ['MEDataSample']

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmmer sub-package and set the default scope to ``mmmer``.

    Only scripts and tests that build components without a Runner need this;
    configs with ``default_scope='mmmer'`` resolve names lazily.
    """
    import mmmer.datasets  # noqa: F401
    import mmmer.engine  # noqa: F401
    import mmmer.evaluation  # noqa: F401
    import mmmer.models  # noqa: F401
    import mmmer.structures  # noqa: F401
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmmer', scope_name='mmmer')
    elif current.scope_name != 'mmmer':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmmer"; creating a new mmmer scope.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'mmmer-{stamp}', scope_name='mmmer')

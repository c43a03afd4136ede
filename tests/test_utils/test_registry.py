"""Every registry in mmmer.registry is in scope ``mmmer`` and each of its
``locations`` imports (a lazy location that does not exist breaks the first
lookup in that registry, e.g. building any inferencer)."""
import importlib

from mmengine.registry import Registry

import mmmer.registry as mmmer_registry


def all_registries():
    return {name: obj for name, obj in vars(mmmer_registry).items()
            if isinstance(obj, Registry) and not name.startswith('MMENGINE_')}


def test_every_registry_location_imports():
    registries = all_registries()
    # The module defines one registry per MMEngine root registry it extends,
    # plus GENERATORS; a registry silently dropped would shrink this set.
    assert {'MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'INFERENCERS',
            'GENERATORS', 'VISUALIZERS', 'FUNCTIONS'} <= set(registries)
    failures = []
    for name, reg in sorted(registries.items()):
        assert reg.scope == 'mmmer', (name, reg.scope)
        for location in reg._locations:
            try:
                importlib.import_module(location)
            except ImportError as e:
                failures.append(f'{name}: {location!r} does not import ({e})')
    assert not failures, '\n'.join(failures)


def test_lazy_lookup_finds_modules_through_locations():
    # After import_from_location the registries hold mmmer's own modules.
    reg = all_registries()
    for name, key in [('MODELS', 'HTNet'), ('METRICS', 'MEMetric'),
                      ('DATASETS', 'CASME2Dataset')]:
        reg[name].import_from_location()
        cls = reg[name].get(key)
        assert cls is not None and cls.__module__.startswith('mmmer.'), (name, key, cls)

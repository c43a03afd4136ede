#!/usr/bin/env bash
# Distributed training of every LOSO fold: tools/dist_train.sh CONFIG GPUS [train.py args]
# On a CPU-only machine the processes use gloo (see mmmer/utils/compat.py).
# The launcher runs through the Python interpreter (python -m torch.distributed.run),
# so no `torchrun` needs to be on PATH; set PYTHON to pick the interpreter, e.g.
#   PYTHON=.venv/bin/python tools/dist_train.sh CONFIG 2
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

if ! "$PYTHON" -c 'import torch.distributed.run' >/dev/null 2>&1; then
    echo "tools/dist_train.sh: '$PYTHON' cannot import torch.distributed.run;" \
         "set PYTHON to the interpreter of the environment mmmer is installed in," \
         "e.g. PYTHON=.venv/bin/python" >&2
    exit 2
fi

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"

"""Shared test helpers.  Every test process runs torch on one thread, as the studies'
workers do (gansim.study.runner), so timings and floating-point paths match the studies."""


import torch

torch.set_num_threads(1)


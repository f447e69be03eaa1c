// Owns the precompiled <torch/torch.h> that every LibTorch layer of core reuses.

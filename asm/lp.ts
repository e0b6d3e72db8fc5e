// Lp pooling kernels (see src/kernels/wasm/lp.ts). Re-exported by asm/kernels.ts.

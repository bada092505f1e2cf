"""Times scipy's eigsh (shift-invert, sigma = -1e-6, which='LM') on the cortex mesh Laplacian of
data/README.md: L = D - A, A the binary triangle-edge adjacency of TVB's cortex_16384.
Prints `scipy k=<k> seconds=<best of 3> cpu_seconds=<best of 3> max_residual=<r> peak_rss_mb=<m>`
per k (CPU time: time.process_time, user + system of the process)."""
import resource
import sys
import time
import zipfile

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh


def cortex_laplacian(path):
    with zipfile.ZipFile(path) as z:
        triangles = np.loadtxt(z.open("triangles.txt"), dtype=np.int64)
        n = len(np.loadtxt(z.open("vertices.txt")))
    i = np.concatenate([triangles[:, 0], triangles[:, 1], triangles[:, 2]])
    j = np.concatenate([triangles[:, 1], triangles[:, 2], triangles[:, 0]])
    a = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(float)
    return (sp.diags(np.asarray(a.sum(axis=1)).ravel()) - a).tocsc()


def main():
    path = sys.argv[1]
    ks = [int(k) for k in sys.argv[2:]] or [100, 200]
    lap = cortex_laplacian(path)
    for k in ks:
        best = float("inf")
        best_cpu = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            cpu_start = time.process_time()
            values, vectors = eigsh(lap, k=k, sigma=-1e-6, which="LM")
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - cpu_start)
        residual = np.linalg.norm(lap @ vectors - vectors * values, axis=0).max()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"scipy k={k} seconds={best:.3f} cpu_seconds={best_cpu:.3f} max_residual={residual:.3e} peak_rss_mb={peak:.0f}", flush=True)


main()

"""Times scipy's eigsh (shift-invert, sigma = -1e-6, which='LM') on the cortex mesh Laplacian of
data/README.md: L = D - A, A the binary triangle-edge adjacency of TVB's cortex_16384.
Prints `scipy k=<k> seconds=<best of 3> cpu_seconds=<best of 3> max_residual=<r> peak_rss_mb=<m>`
per k (CPU time: time.process_time, user + system of the process) with eigsh's default tol (0,
machine precision), then the same as `scipy_tol` with tol=5e-9, anneal's own stopping rule.

ARPACK stops shift-invert when ||OP x - theta x|| <= tol * |theta| for OP = (L - sigma I)^-1; as
L x - lambda x = -(L - sigma I)(OP x - theta x) / theta, that bounds the residual of L by
tol * ||L - sigma I||_2 <= tol * ||L||_inf (plus sigma, 1e-6 here). anneal stops when its exact
residual estimate is at most 0.5e-8 * ||L||_inf, so tol=5e-9 asks scipy for the same guarantee."""
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


ANNEAL_TOLERANCE = 5e-9


def main():
    path = sys.argv[1]
    ks = [int(k) for k in sys.argv[2:]] or [100, 200]
    lap = cortex_laplacian(path)
    for k in ks:
        for name, tol in (("scipy", 0), ("scipy_tol", ANNEAL_TOLERANCE)):
            best = float("inf")
            best_cpu = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                cpu_start = time.process_time()
                values, vectors = eigsh(lap, k=k, sigma=-1e-6, which="LM", tol=tol)
                best = min(best, time.perf_counter() - start)
                best_cpu = min(best_cpu, time.process_time() - cpu_start)
            residual = np.linalg.norm(lap @ vectors - vectors * values, axis=0).max()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name} k={k} seconds={best:.3f} cpu_seconds={best_cpu:.3f} max_residual={residual:.3e} peak_rss_mb={peak:.0f}", flush=True)


main()

import cProfile
import pstats
import sys

from bench import bench_month_end as b
from billing import services

target = sys.argv[1] if len(sys.argv) > 1 else "grant_credits"
sort = sys.argv[2] if len(sys.argv) > 2 else "tottime"
cluster = b.Cluster()
try:
    datasets = b.load_datasets(cluster, [10000])
    template, loaded = list(datasets.values())[0]
    b.fresh_copy(cluster, template)
    prof = cProfile.Profile()
    orig = getattr(services, target)

    def wrapped(*a, **k):
        prof.enable()
        try:
            return orig(*a, **k)
        finally:
            prof.disable()

    setattr(services, target, wrapped)
    b.run_billing_once(b.month_end_data.NOW)
    st = pstats.Stats(prof).strip_dirs()
    st.sort_stats(sort).print_stats(30)
finally:
    b.connections.close_all()
    cluster.close()

"""M/M/1 with a million customers in SimPy 3: the other half of simpy-mm1.sh.

The same model as tangle's BenchmarkMM1 (topology/mm1_bench_test.go):
Poisson arrivals at 900/s, one server (a simpy.Resource of capacity 1,
FIFO), exponential service of mean 1 ms, the sojourn time of every
customer summed. Prints the wall-clock seconds of the run and the mean
sojourn (about 10 ms).
"""
import random
import sys
import time

import simpy

RATE = 900.0
SERVICE = 0.001


def customers(env, server, rng, n, stats):
    for _ in range(n):
        yield env.timeout(rng.expovariate(RATE))
        env.process(customer(env, server, rng, stats))


def customer(env, server, rng, stats):
    arrived = env.now
    with server.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1 / SERVICE))
    stats[0] += env.now - arrived
    stats[1] += 1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(1)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = [0.0, 0]
    env.process(customers(env, server, rng, n, stats))
    start = time.perf_counter()
    env.run()
    wall = time.perf_counter() - start
    print(f"simpy {simpy.__version__}: {stats[1]} customers in {wall:.3f} s, mean sojourn {stats[0] / stats[1] * 1e3:.2f} ms")
    print(f"seconds {wall:.6f}")


if __name__ == "__main__":
    main()

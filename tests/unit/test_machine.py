"""The machine line written next to every benchmark's figures names the CPU's vector
extensions: int8 encoder results and timings differ between AVX2 and AVX-512 hosts."""

from benchmarks.machine import vector_extensions


def test_vector_extensions_name_what_the_cpu_flags_show() -> None:
    assert vector_extensions({"fma", "avx", "avx2"}) == "AVX2"
    assert vector_extensions({"avx2", "avx512f", "avx512_vnni", "amx_tile"}) == (
        "AVX2, AVX-512, VNNI, AMX"
    )
    assert vector_extensions({"sse4_2"}) == "no AVX2"

"""The machine line written next to every benchmark's figures names the CPU's vector
extensions: int8 encoder results and timings differ between AVX2 and AVX-512 hosts."""

from benchmarks.machine import cpu_line, vector_extensions


def test_vector_extensions_name_what_the_cpu_flags_show() -> None:
    assert vector_extensions({"fma", "avx", "avx2"}) == "AVX2"
    assert vector_extensions({"avx2", "avx512f", "avx512_vnni", "amx_tile"}) == (
        "AVX2, AVX-512, VNNI, AMX"
    )
    assert vector_extensions({"sse4_2"}) == "no AVX2"


def test_cpu_line_names_the_generation_of_a_bare_model_name() -> None:
    cpuinfo = (
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 1\n"
        "model name\t: AMD EPYC\ncpu MHz\t\t: 1996.249\nflags\t\t: fpu avx avx2\n\n"
        "processor\t: 1\ncpu family\t: 23\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n"
        "cpu MHz\t\t: 2100.000\nflags\t\t: fpu avx avx2\n"
    )
    assert cpu_line(cpuinfo) == "AMD EPYC (family 23, model 1, 2.0 GHz, AVX2)"
    assert cpu_line("model name\t: Some CPU\nflags\t: sse4_2\n") == "Some CPU (no AVX2)"
    assert cpu_line("processor\t: 0\n") == "unknown"

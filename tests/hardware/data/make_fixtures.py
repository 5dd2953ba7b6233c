#!/usr/bin/env python3
"""Writes the recorded machines of tests/hardware/data/ (see src/hardware/recorded_system_view.h).

Each machine is <name>/root/ (the /proc, /sys and /dev entries the probes read, in the kernel's
own format) and <name>/answers.json (what sysctl, cpuid and the vendor libraries answered). The
text follows real machines of each kind; the per-CPU repetition is generated here so that the
counts stay consistent. Run it from anywhere; it rewrites the four machines in place.
"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def write(machine, path, text):
    full = os.path.join(HERE, machine, "root", path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def answers(machine, obj):
    with open(os.path.join(HERE, machine, "answers.json"), "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def meminfo(total_kb, free_kb, available_kb):
    cached = (available_kb - free_kb) * 9 // 10
    rows = [("MemTotal", total_kb), ("MemFree", free_kb), ("MemAvailable", available_kb),
            ("Buffers", total_kb // 3000), ("Cached", cached), ("SwapCached", 0),
            ("Active", cached // 2 + total_kb // 200), ("Inactive", cached // 2),
            ("SwapTotal", 0), ("SwapFree", 0), ("Dirty", 212),
            ("AnonPages", total_kb // 180), ("Mapped", total_kb // 800), ("Shmem", total_kb // 4000),
            ("Slab", total_kb // 120), ("PageTables", total_kb // 9000),
            ("CommitLimit", total_kb // 2), ("Committed_AS", total_kb // 60),
            ("VmallocTotal", 34359738367)]
    text = "".join(f"{k + ':':<16}{v:>8} kB\n" for k, v in rows)
    return text + "HugePages_Total:       0\nHugePages_Free:        0\nHugepagesize:       2048 kB\n"


def caches(machine, entries):
    for i, (level, kind, size) in enumerate(entries):
        base = f"/sys/devices/system/cpu/cpu0/cache/index{i}/"
        write(machine, base + "level", f"{level}\n")
        write(machine, base + "type", f"{kind}\n")
        write(machine, base + "size", f"{size}\n")


SPR_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx "
    "fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs "
    "bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq pni pclmulqdq dtes64 "
    "monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic "
    "movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch "
    "cpuid_fault epb cat_l3 cat_l2 cdp_l3 invpcid_single intel_ppin cdp_l2 ssbd mba ibrs ibpb "
    "stibp ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 "
    "smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb "
    "intel_pt avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc "
    "cqm_occup_llc cqm_mbm_total cqm_mbm_local split_lock_detect avx_vnni avx512_bf16 wbnoinvd "
    "dtherm ida arat pln pts hwp hwp_act_window hwp_epp hwp_pkg_req vnmi avx512vbmi umip pku "
    "ospke waitpkg avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme "
    "avx512_vpopcntdq la57 rdpid bus_lock_detect cldemote movdiri movdir64b enqcmd fsrm md_clear "
    "serialize tsxldtrk pconfig arch_lbr ibt amx_bf16 avx512_fp16 amx_tile amx_int8 flush_l1d "
    "arch_capabilities")

ZEN3_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse "
    "sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc "
    "cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 "
    "x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm "
    "sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext "
    "perfctr_llc mwaitx cpb cat_l3 cdp_l3 invpcid_single hw_pstate ssbd mba ibrs ibpb stibp "
    "vmmcall fsgsbase bmi1 avx2 smep bmi2 invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni "
    "xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero "
    "irperf xsaveerptr rdpru wbnoinvd amd_ppin brs arat npt lbrv svm_lock nrip_save tsc_scale "
    "vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl "
    "umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm")


def x86_cpuinfo(cpus, vendor, family, model, stepping, microcode, model_name, mhz, cache_kb,
                flags, bugs, bogomips, address_sizes, cpuid_level):
    """cpus: list of (physical id, core id, apicid); siblings/cores derived per socket."""
    per_socket = {}
    for phys, core, _ in cpus:
        per_socket.setdefault(phys, set()).add(core)
    threads = {p: sum(1 for c in cpus if c[0] == p) for p in per_socket}
    blocks = []
    for n, (phys, core, apic) in enumerate(cpus):
        blocks.append(
            f"processor\t: {n}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\n"
            f"model name\t: {model_name}\nstepping\t: {stepping}\nmicrocode\t: {microcode}\n"
            f"cpu MHz\t\t: {mhz}\ncache size\t: {cache_kb} KB\nphysical id\t: {phys}\n"
            f"siblings\t: {threads[phys]}\ncore id\t\t: {core}\ncpu cores\t: {len(per_socket[phys])}\n"
            f"apicid\t\t: {apic}\ninitial apicid\t: {apic}\nfpu\t\t: yes\nfpu_exception\t: yes\n"
            f"cpuid level\t: {cpuid_level}\nwp\t\t: yes\nflags\t\t: {flags}\nbugs\t\t: {bugs}\n"
            f"bogomips\t: {bogomips}\nclflush size\t: 64\ncache_alignment\t: 64\n"
            f"address sizes\t: {address_sizes}\npower management:\n\n")
    return "".join(blocks)


def nvidia_x86():
    m = "nvidia_x86"
    # 2 x Xeon Gold 6434 (8 cores, 2 threads each): cpus 0-15 are the first threads, 16-31 the
    # second threads, socket by socket.
    cpus = [(s, c, s * 128 + c * 2 + t) for t in (0, 1) for s in (0, 1) for c in range(8)]
    write(m, "/proc/cpuinfo", x86_cpuinfo(
        cpus, "GenuineIntel", 6, 143, 8, "0x2b000590", "Intel(R) Xeon(R) Gold 6434", "3700.000",
        23040, SPR_FLAGS, "spectre_v1 spectre_v2 spec_store_bypass swapgs eibrs_pbrsb",
        "7400.00", "46 bits physical, 57 bits virtual", 32))
    write(m, "/proc/meminfo", meminfo(527958432, 498221180, 515290744))
    write(m, "/sys/devices/system/cpu/online", "0-31\n")
    write(m, "/sys/devices/system/node/online", "0-1\n")
    caches(m, [(1, "Data", "48K"), (1, "Instruction", "32K"), (2, "Unified", "2048K"),
               (3, "Unified", "23040K")])
    h100 = {"name": "NVIDIA H100 80GB HBM3", "total_mem": 85520809984,
            "attributes": {"75": 9, "76": 0, "16": 132, "13": 1980000, "36": 2619000, "37": 5120}}
    answers(m, {
        "os": "linux", "arch": "x86_64", "affinity_cores": 32,
        "cuda": {"driver_version": 12040,
                 "error_names": {"100": "CUDA_ERROR_NO_DEVICE"},
                 "devices": [dict(h100, pci_bus_id="0000:18:00.0"),
                             dict(h100, pci_bus_id="0000:2A:00.0")]},
        "nvml": {"driver_version": "550.54.15",
                 "devices": {
                     "0000:18:00.0": {"memory": {"total": 85520809984, "free": 84893958144,
                                                 "used": 626851840},
                                      "power_limit_mw": 700000},
                     "0000:2A:00.0": {"memory": {"total": 85520809984, "free": 84893958144,
                                                 "used": 626851840},
                                      "power_limit_mw": 700000}}},
        "cudart": {"runtime_version": 12040},
        "openvino": {"build_number": "2024.4.0-16579-c3152d32c9c-releases/2024/4",
                     "devices": ["CPU"],
                     "properties": {"CPU": {"FULL_DEVICE_NAME": "Intel(R) Xeon(R) Gold 6434"}}},
    })


def amd_gpu():
    m = "amd_gpu"
    # EPYC 7313: 16 cores on 4 CCDs (core ids 0-3, 8-11, 16-19, 24-27), 2 threads each.
    cores = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]
    cpus = [(0, c, c * 2 + t) for t in (0, 1) for c in cores]
    write(m, "/proc/cpuinfo", x86_cpuinfo(
        cpus, "AuthenticAMD", 25, 1, 1, "0xa0011d1", "AMD EPYC 7313 16-Core Processor",
        "3000.000", 512, ZEN3_FLAGS,
        "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso", "5999.87",
        "48 bits physical, 48 bits virtual", 16))
    write(m, "/proc/meminfo", meminfo(263838556, 251339984, 259601112))
    write(m, "/sys/devices/system/cpu/online", "0-31\n")
    write(m, "/sys/devices/system/node/online", "0\n")
    caches(m, [(1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "512K"),
               (3, "Unified", "32768K")])
    write(m, "/dev/kfd", "")
    nodes = "/sys/class/kfd/kfd/topology/nodes/"
    write(m, nodes + "0/name", "\n")
    write(m, nodes + "0/properties",
          "cpu_cores_count 32\nsimd_count 0\nmem_banks_count 1\ncaches_count 0\n"
          "io_links_count 1\np2p_links_count 0\ncpu_core_id_base 0\nsimd_id_base 0\n"
          "max_waves_per_simd 0\nlds_size_in_kb 0\ngds_size_in_kb 0\nnum_gws 0\n"
          "wave_front_size 0\narray_count 0\nsimd_arrays_per_engine 0\ncu_per_simd_array 0\n"
          "simd_per_cu 0\nmax_slots_scratch_cu 0\ngfx_target_version 0\nvendor_id 0\n"
          "device_id 0\nlocation_id 0\ndomain 0\ndrm_render_minor 0\nhive_id 0\n"
          "num_sdma_engines 0\nnum_sdma_xgmi_engines 0\nnum_sdma_queues_per_engine 0\n"
          "num_cp_queues 0\nmax_engine_clk_ccompute 3000\n")
    write(m, nodes + "0/mem_banks/0/properties",
          "heap_type 0\nsize_in_bytes 270170681344\nflags 0\nwidth 64\nmem_clk_max 3200\n")
    write(m, nodes + "1/name", "aldebaran\n")
    write(m, nodes + "1/properties",
          "cpu_cores_count 0\nsimd_count 416\nmem_banks_count 1\ncaches_count 312\n"
          "io_links_count 1\np2p_links_count 0\ncpu_core_id_base 0\nsimd_id_base 2147487744\n"
          "max_waves_per_simd 8\nlds_size_in_kb 64\ngds_size_in_kb 0\nnum_gws 64\n"
          "wave_front_size 64\narray_count 8\nsimd_arrays_per_engine 1\ncu_per_simd_array 16\n"
          "simd_per_cu 4\nmax_slots_scratch_cu 32\ngfx_target_version 90010\nvendor_id 4098\n"
          "device_id 29711\nlocation_id 49920\ndomain 0\ndrm_render_minor 128\n"
          "hive_id 0\nnum_sdma_engines 2\nnum_sdma_xgmi_engines 3\n"
          "num_sdma_queues_per_engine 8\nnum_cp_queues 24\nmax_engine_clk_fcompute 1700\n"
          "local_mem_size 0\nfw_version 78\ncapability 746127360\ndebug_prop 1495\n"
          "sdma_fw_version 8\nunique_id 12170001234567890123\nnum_xcc 1\n"
          "max_engine_clk_ccompute 3000\n")
    write(m, nodes + "1/mem_banks/0/properties",
          "heap_type 1\nsize_in_bytes 68702699520\nflags 0\nwidth 4096\nmem_clk_max 1600\n")
    write(m, "/sys/class/drm/renderD128/device/product_name", "AMD Instinct MI210\n")
    answers(m, {"os": "linux", "arch": "x86_64", "hip": {"runtime_version": 60032830}})


def apple_m2():
    m = "apple_m2"
    os.makedirs(os.path.join(HERE, m), exist_ok=True)
    answers(m, {
        "os": "macos", "arch": "aarch64",
        "sysctl": {
            "machdep.cpu.brand_string": "Apple M2 Pro", "hw.physicalcpu": 10,
            "hw.logicalcpu": 10, "hw.packages": 1, "hw.memsize": 17179869184,
            "hw.l1dcachesize": 65536, "hw.l1icachesize": 131072, "hw.l2cachesize": 4194304,
            "hw.perflevel0.physicalcpu": 6, "hw.perflevel1.physicalcpu": 4,
            "hw.cachelinesize": 128, "hw.optional.neon": 1, "hw.optional.AdvSIMD": 1,
            "hw.optional.arm.FEAT_FP16": 1, "hw.optional.arm.FEAT_DotProd": 1,
            "hw.optional.arm.FEAT_SHA256": 1, "hw.optional.arm.FEAT_BF16": 1,
            "hw.optional.arm.FEAT_I8MM": 1, "hw.optional.arm.FEAT_SME": 0,
            "kern.osproductversion": "14.4.1", "hw.model": "Mac14,9"},
        "metal": {"devices": [{
            "name": "Apple M2 Pro", "unified_memory": True,
            "recommended_max_working_set_bytes": 11453251584,
            "families": ["apple8", "mac2", "metal3"], "supports_mps": True,
            "low_power": False, "removable": False}]},
    })


def arm_board():
    m = "arm_board"
    block = ("processor\t: {n}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
             "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n"
             "CPU part\t: 0xd08\nCPU revision\t: 3\n\n")
    write(m, "/proc/cpuinfo", "".join(block.format(n=n) for n in range(4)) +
          "Hardware\t: BCM2835\nRevision\t: d03114\nSerial\t\t: 10000000a1b2c3d4\n"
          "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n")
    write(m, "/proc/meminfo", meminfo(7997976, 6872164, 7406540))
    write(m, "/sys/devices/system/cpu/online", "0-3\n")
    for n in range(4):
        topo = f"/sys/devices/system/cpu/cpu{n}/topology/"
        write(m, topo + "core_id", f"{n}\n")
        write(m, topo + "cluster_id", "0\n")
        write(m, topo + "physical_package_id", "0\n")
        write(m, topo + "core_cpus_list", f"{n}\n")
        write(m, topo + "thread_siblings_list", f"{n}\n")
    write(m, "/sys/devices/system/node/online", "0\n")
    caches(m, [(1, "Data", "32K"), (1, "Instruction", "48K"), (2, "Unified", "1024K")])
    answers(m, {"os": "linux", "arch": "aarch64", "affinity_cores": 4})


if __name__ == "__main__":
    for name in ("nvidia_x86", "amd_gpu", "apple_m2", "arm_board"):
        shutil.rmtree(os.path.join(HERE, name), ignore_errors=True)
    nvidia_x86()
    amd_gpu()
    apple_m2()
    arm_board()

package org.vfio4j.conformance.power;

import static org.vfio4j.uapi.VfioUapi.VFIO_CHECK_EXTENSION;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_INJECT_ERR;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_OP;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_GET_DEVICE_FD;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_GET_STATUS;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_SET_CONTAINER;
import static org.vfio4j.uapi.VfioUapi.VFIO_GROUP_UNSET_CONTAINER;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_DISABLE;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_ENABLE;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_MAP_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_SPAPR_REGISTER_MEMORY;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_SPAPR_TCE_CREATE;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_SPAPR_TCE_GET_INFO;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_SPAPR_TCE_REMOVE;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY;
import static org.vfio4j.uapi.VfioUapi.VFIO_IOMMU_UNMAP_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_SET_IOMMU;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.conformance.power.ScriptCommand.*;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_err;
import org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_op;
import org.vfio4j.uapi.VfioStructs.vfio_group_status;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_spapr_register_memory;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_spapr_tce_create;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_spapr_tce_info;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_spapr_tce_remove;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_type1_dma_map;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_type1_dma_unmap;

/**
 * Runs a probe script on any {@link VfioKernel} and prints what the C probe {@code spapr-probe}
 * prints for the same calls, byte for byte: one {@code @@} line per command with {@code ok} for a
 * new descriptor, the return value or {@code -ERRNO}, and the 64-byte 0xa5-filled struct buffer
 * after the call (its vaddr field rewritten to the offset in MEM). MEM is 64 MiB aligned to 16 MiB
 * from a shared arena, handed to the kernel through {@link VfioKernel#userAddress}; devices are
 * found by name in the list given, as the C probe finds them in sysfs.
 *
 * <p>A command naming a handle that is not open prints {@code -EBADF} without a call; a malformed
 * one prints {@code bad-command}. An unexpected Java exception from the kernel seam prints {@code
 * exception:<its class>}, which no real kernel prints, so the lane reports it as a divergence.
 */
public final class PowerScriptRunner {

    /** MEM's size: every OFF is relative to it. */
    public static final long MEM_SIZE = 64L << 20;
    /** MEM's alignment. */
    public static final long MEM_ALIGNMENT = 16L << 20;
    /** Every struct command's buffer: 64 bytes. */
    static final int BUFFER_SIZE = 64;
    /** The byte a buffer is filled with before the fields are set. */
    static final byte FILL = (byte) 0xa5;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final VfioKernel kernel;
    private final List<Transcript.Device> devices;
    private final String release;

    /**
     * A runner on {@code kernel} with the named devices it has.
     *
     * @param kernel  the kernel the calls go to
     * @param devices the devices {@code edu} and {@code nvme} resolve to (address and group); a
     *                name not listed resolves to the address and group {@code unknown}, as in the
     *                C probe, so that its calls fail as the kernel says
     * @param release what the {@code @@# kernel} line says
     */
    public PowerScriptRunner(VfioKernel kernel, List<Transcript.Device> devices, String release) {
        this.kernel = kernel;
        this.devices = List.copyOf(devices);
        this.release = release;
    }

    /**
     * Runs every command of {@code script} in order and returns the transcript. Descriptors still
     * open at the end are closed afterwards, as a process's are when it exits.
     *
     * @param script the script
     * @return the header, one result per command, and the end marker
     */
    public Transcript run(PowerScript script) {
        List<Transcript.Result> results = new ArrayList<>();
        long started = System.nanoTime();
        try (Arena shared = Arena.ofShared(); Arena calls = Arena.ofConfined()) {
            MemorySegment memory = shared.allocate(MEM_SIZE, MEM_ALIGNMENT); // zeroed, as the probe's memset
            Session s = new Session(kernel.userAddress(memory), calls.allocate(BUFFER_SIZE, 8), calls);
            try {
                for (PowerScript.Line line : script.lines()) {
                    results.add(new Transcript.Result(line.number(), line.echo(), s.outcome(line.command())));
                }
            } finally {
                s.closeAll();
            }
        }
        return new Transcript(devices, release, results, true, OptionalDouble.of((System.nanoTime() - started) / 1e9));
    }

    /**
     * The name the probe prints for an errno: its table holds 1 (EPERM) to 34 (ERANGE), 77 (EBADFD)
     * and 95 (EOPNOTSUPP), with the asm-generic names {@link Errno} has; any other is {@code E<number>}.
     */
    static String errnoName(int errno) {
        boolean inTable = errno >= 1 && errno <= 34 || errno == 77 || errno == 95;
        return inTable ? Errno.of(errno).name() : "E" + errno;
    }

    /** One run's descriptors, MEM and argument buffer. */
    private final class Session {
        private final long mem;
        private final MemorySegment buf;
        private final Arena arena;
        private final Map<Kind, Fd[]> fds = new EnumMap<>(Kind.class);

        Session(long mem, MemorySegment buf, Arena arena) {
            this.mem = mem;
            this.buf = buf;
            this.arena = arena;
            for (Kind k : Kind.values()) {
                fds.put(k, new Fd[ScriptCommand.HANDLES]);
            }
        }

        @FunctionalInterface
        private interface Call {
            long run() throws VfioException;
        }

        String outcome(ScriptCommand command) {
            try {
                return run(command);
            } catch (RuntimeException e) {
                return "exception:" + e.getClass().getSimpleName();
            }
        }

        private String run(ScriptCommand command) {
            return switch (command) {
                case BadCommand b -> "bad-command";
                case Open o -> {
                    release(o.container());
                    yield opened(o.container(), () -> kernel.open("/dev/vfio/vfio", LinuxAbi.O_RDWR));
                }
                case Group g -> {
                    release(g.group());
                    yield opened(g.group(), () -> kernel.open("/dev/vfio/" + device(g.device()).group(), LinuxAbi.O_RDWR));
                }
                case Device d -> {
                    Fd group = fd(d.group());
                    if (group == null) {
                        yield "-EBADF";
                    }
                    release(d.device());
                    MemorySegment name = arena.allocateFrom(device(d.named()).address());
                    yield opened(d.device(), () -> kernel.adopt(kernel.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name), d.device().toString()));
                }
                case SetContainer sc -> {
                    Fd group = fd(sc.group());
                    Fd container = fd(sc.container());
                    if (group == null || container == null) {
                        yield "-EBADF";
                    }
                    MemorySegment number = arena.allocate(ValueLayout.JAVA_INT);
                    number.set(ValueLayout.JAVA_INT, 0, container.number());
                    yield result(() -> kernel.ioctl(group, VFIO_GROUP_SET_CONTAINER, number));
                }
                case UnsetContainer u -> withFd(u.group(), g -> result(() -> kernel.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0L)));
                case Status st -> withFd(st.group(), g -> {
                    fresh();
                    buf.set(U32, vfio_group_status.argsz, vfio_group_status.SIZE);
                    return withStruct(() -> kernel.ioctl(g, VFIO_GROUP_GET_STATUS, buf), vfio_group_status.SIZE, -1);
                });
                case CheckExtension x -> withFd(x.container(), c -> result(() -> kernel.ioctl(c, VFIO_CHECK_EXTENSION, x.extension())));
                case SetIommu x -> withFd(x.container(), c -> result(() -> kernel.ioctl(c, VFIO_SET_IOMMU, x.type())));
                case Info i -> withFd(i.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_iommu_spapr_tce_info.argsz, (int) i.argsz());
                    return withStruct(() -> kernel.ioctl(c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, buf), vfio_iommu_spapr_tce_info.SIZE, -1);
                });
                case Enable e -> withFd(e.container(), c -> result(() -> kernel.ioctl(c, VFIO_IOMMU_ENABLE, 0L)));
                case Disable e -> withFd(e.container(), c -> result(() -> kernel.ioctl(c, VFIO_IOMMU_DISABLE, 0L)));
                case Register r -> withFd(r.container(), c -> memory(c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, r.offset(), r.size(), r.flags(), r.argsz()));
                case Unregister r -> withFd(r.container(), c -> memory(c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, r.offset(), r.size(), r.flags(), r.argsz()));
                case Create cr -> withFd(cr.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_iommu_spapr_tce_create.argsz, (int) cr.argsz());
                    buf.set(U32, vfio_iommu_spapr_tce_create.flags, (int) cr.flags());
                    buf.set(U32, vfio_iommu_spapr_tce_create.page_shift, (int) cr.pageShift());
                    buf.set(U32, vfio_iommu_spapr_tce_create.__resv1, 0);
                    buf.set(U64, vfio_iommu_spapr_tce_create.window_size, cr.windowSize());
                    buf.set(U32, vfio_iommu_spapr_tce_create.levels, (int) cr.levels());
                    buf.set(U32, vfio_iommu_spapr_tce_create.__resv2, 0);
                    buf.set(U64, vfio_iommu_spapr_tce_create.start_addr, 0);
                    return withStruct(() -> kernel.ioctl(c, VFIO_IOMMU_SPAPR_TCE_CREATE, buf), vfio_iommu_spapr_tce_create.SIZE, -1);
                });
                case Remove rm -> withFd(rm.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_iommu_spapr_tce_remove.argsz, (int) rm.argsz());
                    buf.set(U32, vfio_iommu_spapr_tce_remove.flags, (int) rm.flags());
                    buf.set(U64, vfio_iommu_spapr_tce_remove.start_addr, rm.start());
                    return withStruct(() -> kernel.ioctl(c, VFIO_IOMMU_SPAPR_TCE_REMOVE, buf), vfio_iommu_spapr_tce_remove.SIZE, -1);
                });
                case MapDma m -> withFd(m.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_iommu_type1_dma_map.argsz, (int) m.argsz());
                    buf.set(U32, vfio_iommu_type1_dma_map.flags, (int) m.flags());
                    buf.set(U64, vfio_iommu_type1_dma_map.vaddr, mem + m.offset());
                    buf.set(U64, vfio_iommu_type1_dma_map.iova, m.iova());
                    buf.set(U64, vfio_iommu_type1_dma_map.size, m.size());
                    return withStruct(() -> kernel.ioctl(c, VFIO_IOMMU_MAP_DMA, buf), vfio_iommu_type1_dma_map.SIZE,
                            vfio_iommu_type1_dma_map.vaddr);
                });
                case UnmapDma u -> withFd(u.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_iommu_type1_dma_unmap.argsz, (int) u.argsz());
                    buf.set(U32, vfio_iommu_type1_dma_unmap.flags, (int) u.flags());
                    buf.set(U64, vfio_iommu_type1_dma_unmap.iova, u.iova());
                    buf.set(U64, vfio_iommu_type1_dma_unmap.size, u.size());
                    return withStruct(() -> kernel.ioctl(c, VFIO_IOMMU_UNMAP_DMA, buf), vfio_iommu_type1_dma_unmap.SIZE, -1);
                });
                case Eeh e -> withFd(e.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_eeh_pe_op.argsz, (int) e.argsz());
                    buf.set(U32, vfio_eeh_pe_op.flags, (int) e.flags());
                    buf.set(U32, vfio_eeh_pe_op.op, (int) e.op());
                    return withStruct(() -> kernel.ioctl(c, VFIO_EEH_PE_OP, buf), vfio_eeh_pe_op.SIZE, -1);
                });
                case Inject in -> withFd(in.container(), c -> {
                    fresh();
                    buf.set(U32, vfio_eeh_pe_op.argsz, (int) in.argsz());
                    buf.set(U32, vfio_eeh_pe_op.flags, 0);
                    buf.set(U32, vfio_eeh_pe_op.op, VFIO_EEH_PE_INJECT_ERR);
                    buf.set(U32, vfio_eeh_pe_op.err + vfio_eeh_pe_err.type, (int) in.type());
                    buf.set(U32, vfio_eeh_pe_op.err + vfio_eeh_pe_err.func, (int) in.function());
                    buf.set(U64, vfio_eeh_pe_op.err + vfio_eeh_pe_err.addr, in.address());
                    buf.set(U64, vfio_eeh_pe_op.err + vfio_eeh_pe_err.mask, in.mask());
                    return withStruct(() -> kernel.ioctl(c, VFIO_EEH_PE_OP, buf), vfio_eeh_pe_op.SIZE, -1);
                });
                case Read r -> withFd(r.device(), d -> {
                    MemorySegment data = arena.allocate(r.length());
                    long[] n = {-1};
                    String result = result(() -> n[0] = kernel.pread(d, data, (r.region() << 40) + r.offset()));
                    return n[0] > 0 ? result + " " + hex(data, (int) n[0]) : result;
                });
                case Write w -> withFd(w.device(), d -> {
                    MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_BYTE, w.data());
                    return result(() -> kernel.pwrite(d, data, (w.region() << 40) + w.offset()));
                });
                case Close cl -> {
                    Fd fd = fd(cl.handle());
                    if (fd == null) {
                        yield "-EBADF";
                    }
                    fds.get(cl.handle().kind())[cl.handle().number()] = null; // forgotten whatever close returns
                    yield result(() -> {
                        kernel.close(fd);
                        return 0;
                    });
                }
                case CloseAll ca -> {
                    closeAll();
                    yield "0";
                }
            };
        }

        /** REGISTER_MEMORY / UNREGISTER_MEMORY of MEM+OFF. */
        private String memory(Fd c, long request, long offset, long size, long flags, long argsz) {
            fresh();
            buf.set(U32, vfio_iommu_spapr_register_memory.argsz, (int) argsz);
            buf.set(U32, vfio_iommu_spapr_register_memory.flags, (int) flags);
            buf.set(U64, vfio_iommu_spapr_register_memory.vaddr, mem + offset);
            buf.set(U64, vfio_iommu_spapr_register_memory.size, size);
            return withStruct(() -> kernel.ioctl(c, request, buf), vfio_iommu_spapr_register_memory.SIZE,
                    vfio_iommu_spapr_register_memory.vaddr);
        }

        private void fresh() {
            buf.fill(FILL);
        }

        /** The result, then the struct's {@code size} bytes, the u64 vaddr at {@code vaddr} (if not -1) as an offset in MEM. */
        private String withStruct(Call call, int size, int vaddr) {
            String result = result(call);
            if (vaddr >= 0) {
                buf.set(U64, vaddr, buf.get(U64, vaddr) - mem);
            }
            return result + " " + hex(buf, size);
        }

        private String result(Call call) {
            try {
                return Long.toString(call.run());
            } catch (VfioException e) {
                return "-" + errnoName(e.errnoNumber());
            }
        }

        @FunctionalInterface
        private interface Opening {
            Fd run() throws VfioException;
        }

        /** A call that makes a descriptor: {@code ok} and the handle holds it, or the errno. */
        private String opened(Handle h, Opening call) {
            try {
                fds.get(h.kind())[h.number()] = call.run();
                return "ok";
            } catch (VfioException e) {
                return "-" + errnoName(e.errnoNumber());
            }
        }

        private interface WithFd {
            String apply(Fd fd);
        }

        private String withFd(Handle h, WithFd body) {
            Fd fd = fd(h);
            return fd == null ? "-EBADF" : body.apply(fd);
        }

        private Fd fd(Handle h) {
            return fds.get(h.kind())[h.number()];
        }

        /** Opening into a handle that is still open closes it first, unprinted, as the probe does. */
        private void release(Handle h) {
            Fd old = fd(h);
            fds.get(h.kind())[h.number()] = null;
            if (old != null) {
                quietly(old);
            }
        }

        void closeAll() {
            for (Kind k : List.of(Kind.DEVICE, Kind.GROUP, Kind.CONTAINER)) {
                Fd[] slots = fds.get(k);
                for (int n = slots.length - 1; n >= 0; n--) {
                    if (slots[n] != null) {
                        Fd fd = slots[n];
                        slots[n] = null;
                        quietly(fd);
                    }
                }
            }
        }

        private void quietly(Fd fd) {
            try {
                kernel.close(fd);
            } catch (VfioException | RuntimeException ignored) {
                // the probe ignores close's result here too
            }
        }

        private Transcript.Device device(ProbeDevice named) {
            return devices.stream().filter(d -> d.name().equals(named.scriptName())).findFirst()
                    .orElse(new Transcript.Device(named.scriptName(), "unknown", "unknown"));
        }
    }

    private static String hex(MemorySegment m, int bytes) {
        return HexFormat.of().formatHex(m.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE));
    }
}

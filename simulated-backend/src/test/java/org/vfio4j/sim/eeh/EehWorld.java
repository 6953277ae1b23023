package org.vfio4j.sim.eeh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.core.DmaBufFile;
import org.vfio4j.sim.core.EventFdFile;
import org.vfio4j.sim.core.FaultGate;
import org.vfio4j.sim.core.GroupFile;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.IommuDriverOps;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.PowerFacts;
import org.vfio4j.sim.core.ProcessMemory;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.core.VfioDevice;
import org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_err;
import org.vfio4j.uapi.VfioStructs.vfio_eeh_pe_op;

/**
 * An {@link Eeh} on its own for the tests of this package: a kernel that only records trace events,
 * group 0's PE with two functions that count their resets, and helpers that encode a {@code struct
 * vfio_eeh_pe_op} the way a driver would.
 */
final class EehWorld {
    static final PciAddress F0 = PciAddress.parse("0000:01:00.0");
    static final PciAddress F1 = PciAddress.parse("0000:01:00.1");
    static final int GROUP = 0;

    final Eeh eeh;
    final RecordingKernel kernel = new RecordingKernel();
    final CountingFunction f0 = new CountingFunction(F0);
    final CountingFunction f1 = new CountingFunction(F1);

    /** A POWER host whose PHB freezes ({@code freezes}) or never does (QEMU's PHB4); null facts for an x86 host. */
    EehWorld(PowerFacts phb) {
        eeh = new Eeh(kernel, phb);
        eeh.probe(GROUP, f0);
        eeh.probe(GROUP, f1);
    }

    static PowerFacts phb(boolean enabled, boolean freezes) {
        return new PowerFacts(0, 0x8000_0000L, 0x4021_1000L, 2, 5, 1L << 59, enabled, freezes);
    }

    static EehWorld freezing() {
        return new EehWorld(phb(true, true));
    }

    static EehWorld qemu() {
        return new EehWorld(phb(true, false));
    }

    /** VFIO_EEH_PE_OP on group 0 with a 40-byte argument. */
    int op(int argsz, int flags, int op, int type, int func) throws KernelError {
        return eeh.peOp(GROUP, arg(argsz, flags, op, type, func, 40), new SyscallContext());
    }

    /** VFIO_EEH_PE_OP on group 0 with a valid header (argsz 16, no error). */
    int op(int op) throws KernelError {
        return op(16, 0, op, 0, 0);
    }

    /** A {@code struct vfio_eeh_pe_op} in {@code length} bytes of user memory (some fields may not fit). */
    static UserArg arg(int argsz, int flags, int op, int type, int func, long length) {
        MemorySegment m = Arena.ofAuto().allocate(length);
        put(m, vfio_eeh_pe_op.argsz, argsz);
        put(m, vfio_eeh_pe_op.flags, flags);
        put(m, vfio_eeh_pe_op.op, op);
        put(m, vfio_eeh_pe_op.err + vfio_eeh_pe_err.type, type);
        put(m, vfio_eeh_pe_op.err + vfio_eeh_pe_err.func, func);
        return UserArg.pointer(m);
    }

    private static void put(MemorySegment m, long at, int v) {
        if (at + 4 <= m.byteSize()) {
            m.set(ValueLayout.JAVA_INT_UNALIGNED, at, v);
        }
    }

    /** A PE member that counts what EEH did to it. */
    static final class CountingFunction implements PeFunction {
        private final PciAddress address;
        int resets;
        int restores;

        CountingFunction(PciAddress address) {
            this.address = address;
        }

        @Override
        public PciAddress address() {
            return address;
        }

        @Override
        public void resetAsserted(boolean fundamental) {
            resets++;
        }

        @Override
        public void resetDeasserted() {
            restores++;
        }
    }

    /** The kernel services EEH uses: the trace. Everything else is refused. */
    static final class RecordingKernel implements KernelServices {
        final List<String> events = new ArrayList<>();

        @Override
        public void event(Object target, String what, String detail) {
            events.add(target + ": " + what + ": " + detail);
        }

        @Override
        public void event(Object target, String what, Supplier<String> detail) {
            event(target, what, detail.get());
        }

        @Override
        public Object lock() {
            return this;
        }

        @Override
        public KernelProfile profile() {
            return KernelProfile.LINUX_6_12;
        }

        @Override
        public HostFacts facts() {
            throw new UnsupportedOperationException("EEH needs no host facts");
        }

        @Override
        public FaultGate faults() {
            throw new UnsupportedOperationException("EEH consults no fault plan");
        }

        @Override
        public ProcessMemory memory() {
            throw new UnsupportedOperationException("EEH reaches no process memory");
        }

        @Override
        public List<IommuDriverOps> iommuDrivers() {
            return List.of();
        }

        @Override
        public IommuDriverOps noIommuDriver() {
            throw new UnsupportedOperationException("no no-IOMMU driver here");
        }

        @Override
        public OpenFile fileOf(int number) {
            return null;
        }

        @Override
        public int openDevice(VfioDevice device, GroupFile groupFile) {
            throw new UnsupportedOperationException("EEH opens no device");
        }

        @Override
        public int installDmaBuf(DmaBufFile buf) {
            throw new UnsupportedOperationException("EEH makes no dma-buf");
        }

        @Override
        public void signal(EventFdFile e) {
            throw new UnsupportedOperationException("EEH signals no eventfd");
        }

        @Override
        public String describeEventFd(EventFdFile e) {
            return "eventfd";
        }
    }
}

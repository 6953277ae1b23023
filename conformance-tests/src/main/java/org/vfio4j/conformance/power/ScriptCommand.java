package org.vfio4j.conformance.power;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One command of a POWER lane probe script, as {@link PowerScript} parsed it: one record per kind,
 * holding the operands the script gave and the defaults it left out. Numbers are unsigned 64-bit
 * values as the script wrote them; a field the call stores as a u32 takes the low 32 bits when the
 * runner fills the struct, as the C probe does. What each command calls is in
 * docs/power-lane.md; a line that does not parse is a {@link BadCommand}.
 */
public sealed interface ScriptCommand {

    /** A descriptor slot of the script: {@code c0}..{@code c9}, {@code g0}..{@code g9}, {@code d0}..{@code d9}. */
    enum Kind {
        /** {@code cN}: a container, {@code /dev/vfio/vfio}. */
        CONTAINER('c'),
        /** {@code gN}: a group, {@code /dev/vfio/<group>}. */
        GROUP('g'),
        /** {@code dN}: a device fd from VFIO_GROUP_GET_DEVICE_FD. */
        DEVICE('d');

        private final char letter;

        Kind(char letter) {
            this.letter = letter;
        }

        /** {@return the letter that starts this kind's handles} */
        public char letter() {
            return letter;
        }
    }

    /** How many handles of each kind a script may name: the digit after the letter. */
    int HANDLES = 10;

    /**
     * A handle of the script.
     *
     * @param kind   what it holds
     * @param number 0..9
     */
    record Handle(Kind kind, int number) {
        /** Checks the number is a single digit. */
        public Handle {
            if (kind == null || number < 0 || number >= HANDLES) {
                throw new IllegalArgumentException("a handle is c, g or d and one digit: " + kind + " " + number);
            }
        }

        @Override
        public String toString() {
            return kind.letter() + Integer.toString(number);
        }
    }

    /** The devices a script can name, and the PCI ids the C probe finds them by in sysfs. */
    enum ProbeDevice {
        /** QEMU's edu (1234:11e8). */
        EDU("edu", 0x1234, 0x11e8),
        /** QEMU's NVMe controller (1b36:0010). */
        NVME("nvme", 0x1b36, 0x0010);

        private final String scriptName;
        private final int vendor;
        private final int device;

        ProbeDevice(String scriptName, int vendor, int device) {
            this.scriptName = scriptName;
            this.vendor = vendor;
            this.device = device;
        }

        /** {@return the name scripts and transcripts use: {@code edu}, {@code nvme}} */
        public String scriptName() {
            return scriptName;
        }

        /** {@return the PCI vendor id} */
        public int vendor() {
            return vendor;
        }

        /** {@return the PCI device id} */
        public int device() {
            return device;
        }

        /** {@return the device a script calls {@code name}, or null} */
        public static ProbeDevice named(String name) {
            for (ProbeDevice d : values()) {
                if (d.scriptName.equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** The default argsz of REGISTER_MEMORY and UNREGISTER_MEMORY: sizeof(struct vfio_iommu_spapr_register_memory). */
    long REGISTER_ARGSZ = 24;
    /** The default argsz of SPAPR_TCE_CREATE: sizeof(struct vfio_iommu_spapr_tce_create). */
    long CREATE_ARGSZ = 40;
    /** The default argsz of SPAPR_TCE_REMOVE: sizeof(struct vfio_iommu_spapr_tce_remove). */
    long REMOVE_ARGSZ = 16;
    /** The default argsz of MAP_DMA: sizeof(struct vfio_iommu_type1_dma_map). */
    long MAP_ARGSZ = 32;
    /** The default argsz of UNMAP_DMA: sizeof(struct vfio_iommu_type1_dma_unmap) without its data. */
    long UNMAP_ARGSZ = 24;
    /** The default argsz of EEH_PE_OP: the op struct up to its op field. */
    long EEH_ARGSZ = 12;
    /** The default argsz of an INJECT_ERR EEH_PE_OP: the op struct with its error. */
    long INJECT_ARGSZ = 40;

    /**
     * {@code open cN}: opens the container node.
     *
     * @param container the handle that receives it
     */
    record Open(Handle container) implements ScriptCommand {}

    /**
     * {@code group gN edu|nvme}: opens the group node of a device.
     *
     * @param group  the handle that receives it
     * @param device whose group
     */
    record Group(Handle group, ProbeDevice device) implements ScriptCommand {}

    /**
     * {@code setcontainer gN cM}: VFIO_GROUP_SET_CONTAINER.
     *
     * @param group     the group
     * @param container the container whose fd the call passes
     */
    record SetContainer(Handle group, Handle container) implements ScriptCommand {}

    /**
     * {@code unsetcontainer gN}: VFIO_GROUP_UNSET_CONTAINER.
     *
     * @param group the group
     */
    record UnsetContainer(Handle group) implements ScriptCommand {}

    /**
     * {@code status gN}: VFIO_GROUP_GET_STATUS with argsz 8.
     *
     * @param group the group
     */
    record Status(Handle group) implements ScriptCommand {}

    /**
     * {@code checkext cN VALUE}: VFIO_CHECK_EXTENSION.
     *
     * @param container the container
     * @param extension the extension asked about
     */
    record CheckExtension(Handle container, long extension) implements ScriptCommand {}

    /**
     * {@code setiommu cN VALUE}: VFIO_SET_IOMMU.
     *
     * @param container the container
     * @param type      the IOMMU type
     */
    record SetIommu(Handle container, long type) implements ScriptCommand {}

    /**
     * {@code info cN ARGSZ}: VFIO_IOMMU_SPAPR_TCE_GET_INFO.
     *
     * @param container the container
     * @param argsz     the argsz field
     */
    record Info(Handle container, long argsz) implements ScriptCommand {}

    /**
     * {@code enable cN}: VFIO_IOMMU_ENABLE.
     *
     * @param container the container
     */
    record Enable(Handle container) implements ScriptCommand {}

    /**
     * {@code disable cN}: VFIO_IOMMU_DISABLE.
     *
     * @param container the container
     */
    record Disable(Handle container) implements ScriptCommand {}

    /**
     * {@code register cN OFF SIZE [FLAGS [ARGSZ]]}: VFIO_IOMMU_SPAPR_REGISTER_MEMORY of MEM+OFF.
     *
     * @param container the container
     * @param offset    OFF: the vaddr is MEM+OFF
     * @param size      the size field
     * @param flags     the flags field
     * @param argsz     the argsz field
     */
    record Register(Handle container, long offset, long size, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code unregister cN OFF SIZE [FLAGS [ARGSZ]]}: VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY of MEM+OFF.
     *
     * @param container the container
     * @param offset    OFF: the vaddr is MEM+OFF
     * @param size      the size field
     * @param flags     the flags field
     * @param argsz     the argsz field
     */
    record Unregister(Handle container, long offset, long size, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code create cN SHIFT WSIZE LEVELS [FLAGS [ARGSZ]]}: VFIO_IOMMU_SPAPR_TCE_CREATE.
     *
     * @param container  the container
     * @param pageShift  the page_shift field
     * @param windowSize the window_size field
     * @param levels     the levels field
     * @param flags      the flags field
     * @param argsz      the argsz field
     */
    record Create(Handle container, long pageShift, long windowSize, long levels, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code remove cN START [FLAGS [ARGSZ]]}: VFIO_IOMMU_SPAPR_TCE_REMOVE.
     *
     * @param container the container
     * @param start     the start_addr field
     * @param flags     the flags field
     * @param argsz     the argsz field
     */
    record Remove(Handle container, long start, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code map cN IOVA OFF SIZE FLAGS [ARGSZ]}: VFIO_IOMMU_MAP_DMA of MEM+OFF.
     *
     * @param container the container
     * @param iova      the iova field
     * @param offset    OFF: the vaddr is MEM+OFF
     * @param size      the size field
     * @param flags     the flags field
     * @param argsz     the argsz field
     */
    record MapDma(Handle container, long iova, long offset, long size, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code unmap cN IOVA SIZE FLAGS [ARGSZ]}: VFIO_IOMMU_UNMAP_DMA.
     *
     * @param container the container
     * @param iova      the iova field
     * @param size      the size field
     * @param flags     the flags field
     * @param argsz     the argsz field
     */
    record UnmapDma(Handle container, long iova, long size, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code eeh cN OP [FLAGS [ARGSZ]]}: VFIO_EEH_PE_OP.
     *
     * @param container the container
     * @param op        the op field
     * @param flags     the flags field
     * @param argsz     the argsz field
     */
    record Eeh(Handle container, long op, long flags, long argsz) implements ScriptCommand {}

    /**
     * {@code inject cN TYPE FUNC ADDR MASK [ARGSZ]}: VFIO_EEH_PE_OP with op VFIO_EEH_PE_INJECT_ERR.
     *
     * @param container the container
     * @param type      err.type
     * @param function  err.func
     * @param address   err.addr
     * @param mask      err.mask
     * @param argsz     the argsz field
     */
    record Inject(Handle container, long type, long function, long address, long mask, long argsz) implements ScriptCommand {}

    /**
     * {@code device dN gM edu|nvme}: VFIO_GROUP_GET_DEVICE_FD with the device's address.
     *
     * @param device the handle that receives the fd
     * @param group  the group asked
     * @param named  the device whose address is passed
     */
    record Device(Handle device, Handle group, ProbeDevice named) implements ScriptCommand {}

    /**
     * {@code read dN REGION OFF LEN}: pread of LEN bytes at {@code (REGION << 40) + OFF}.
     *
     * @param device the device
     * @param region the region index
     * @param offset the offset in the region
     * @param length 1..64 bytes
     */
    record Read(Handle device, long region, long offset, int length) implements ScriptCommand {}

    /**
     * {@code write dN REGION OFF HEX}: pwrite of the bytes HEX spells at {@code (REGION << 40) + OFF}.
     *
     * @param device the device
     * @param region the region index
     * @param offset the offset in the region
     * @param data   1..64 bytes (a copy is kept)
     */
    record Write(Handle device, long region, long offset, byte[] data) implements ScriptCommand {
        /** Keeps a copy of the bytes. */
        public Write {
            data = data.clone();
        }

        /** {@return a copy of the bytes written} */
        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Write w && device.equals(w.device) && region == w.region && offset == w.offset
                    && Arrays.equals(data, w.data);
        }

        @Override
        public int hashCode() {
            return (device.hashCode() * 31 + Long.hashCode(region)) * 31 + Long.hashCode(offset) * 17 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Write[device=" + device + ", region=" + region + ", offset=" + offset + ", data=" + HexFormat.of().formatHex(data) + "]";
        }
    }

    /**
     * {@code close H}: close(2) of any handle; the handle is forgotten whatever close returns.
     *
     * @param handle the handle
     */
    record Close(Handle handle) implements ScriptCommand {}

    /** {@code closeall}: closes every open handle, devices, then groups, then containers, each kind highest number first. */
    record CloseAll() implements ScriptCommand {}

    /**
     * A line that is not a command: prints {@code bad-command} and calls nothing.
     *
     * @param reason why it does not parse, for messages
     */
    record BadCommand(String reason) implements ScriptCommand {}
}

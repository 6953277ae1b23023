package org.vfio4j.sim.pci;

import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.util.Optional;
import java.util.UUID;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.EventFdFile;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;

/**
 * VFIO_DEVICE_FEATURE on a vfio-pci function and the SR-IOV VF token it guards ({@code
 * drivers/vfio/pci/vfio_pci_core.c}: {@code vfio_pci_core_ioctl_feature}, {@code
 * vfio_pci_core_feature_token}, {@code vfio_pci_validate_vf_token}, the low-power entry features;
 * {@code vfio_ioctl_device_feature} and {@code vfio_check_feature} in {@code vfio_main.c}). A PF
 * draws a random token at probe; a VF opened while its PF is driven by vfio-pci must present it.
 */
final class PciDeviceFeatures {
    private final PciFunction function;
    private final FunctionSpec spec;
    private final KernelServices kernel;
    /** SR-IOV PF: the VF token (a random UUID at probe) and how many of its VFs are open through vfio-pci. */
    private UUID vfToken;
    private int vfTokenUsers;

    PciDeviceFeatures(PciFunction function, KernelServices kernel) {
        this.function = function;
        this.spec = function.spec;
        this.kernel = kernel;
        if (spec.isPhysicalFunction()) {
            vfToken = UUID.randomUUID();
        }
    }

    /** One of this PF's VFs was opened ({@code +1}) or closed for the last time ({@code -1}) through vfio-pci. */
    void vfUsersChanged(int delta) {
        vfTokenUsers += delta;
    }

    /** {@code vfio_pci_validate_vf_token}, at GET_DEVICE_FD time. */
    void validateVfToken(Optional<UUID> token) throws KernelError {
        if (spec.isVirtualFunction()) {
            Optional<PciFunction> pf = function.physicalFunction();
            if (pf.isEmpty()) {
                if (token.isPresent()) {
                    throw KernelError.of(Errno.EINVAL, "a VF token was given for " + spec.address() + ", whose PF "
                            + spec.physicalFunction().get() + " is not bound to vfio-pci (vfio_pci_validate_vf_token)");
                }
                return;
            }
            if (token.isEmpty()) {
                throw KernelError.of(Errno.EACCES, spec.address() + " is a VF of " + pf.get().address() + ", which vfio-pci drives:"
                        + " a vf_token=<uuid> matching the PF's token is required (vfio_pci_validate_vf_token)");
            }
            if (!token.get().equals(pf.get().features.vfToken)) {
                throw KernelError.of(Errno.EACCES, "the VF token does not match the one set on PF " + pf.get().address()
                        + " (vfio_pci_validate_vf_token)");
            }
        } else if (vfToken != null) {
            if (vfTokenUsers > 0) {
                if (token.isEmpty() || !token.get().equals(vfToken)) {
                    throw KernelError.of(Errno.EACCES, spec.address() + " is a PF with " + vfTokenUsers + " VF(s) open: the current"
                            + " VF token must be given " + (token.isEmpty() ? "(none was)" : "(a different one was)")
                            + " (vfio_pci_validate_vf_token)");
                }
            } else if (token.isPresent()) {
                vfToken = token.get(); // a PF without VF users: the token given sets it
            }
        } else if (token.isPresent()) {
            throw KernelError.of(Errno.EINVAL, "a VF token was given for " + spec.address() + ", which is neither an SR-IOV PF nor a VF"
                    + " (vfio_pci_validate_vf_token)");
        }
    }

    /** {@code vfio_ioctl_device_feature} (6.1) or the 5.7 FEATURE branch of {@code vfio_pci_ioctl}. */
    int feature(UserArg arg, SyscallContext call) throws KernelError {
        int argsz = arg.copyIn(vfio_device_feature.SIZE, "struct vfio_device_feature");
        int flags = arg.u32(vfio_device_feature.flags);
        int index = flags & VFIO_DEVICE_FEATURE_MASK;
        boolean get = (flags & VFIO_DEVICE_FEATURE_GET) != 0;
        boolean set = (flags & VFIO_DEVICE_FEATURE_SET) != 0;
        boolean probe = (flags & VFIO_DEVICE_FEATURE_PROBE) != 0;
        call.describe(() -> "{argsz=" + argsz + ", flags=0x" + Integer.toHexString(flags) + "}");
        if (Integer.compareUnsigned(argsz, vfio_device_feature.SIZE) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 8-byte header of struct vfio_device_feature"
                    + " (vfio_ioctl_device_feature)");
        }
        if ((flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE)) != 0) {
            throw KernelError.of(Errno.EINVAL, "flags 0x" + Integer.toHexString(flags) + " has bits other than the feature index,"
                    + " GET, SET and PROBE (vfio_ioctl_device_feature)");
        }
        if (!probe && get && set) {
            throw KernelError.of(Errno.EINVAL, "GET and SET together need PROBE (vfio_ioctl_device_feature)");
        }
        long dataSize = Integer.toUnsignedLong(argsz) - vfio_device_feature.data;
        if (function.profile().hasLowPowerFeatures() && (index == 3 || index == 4 || index == 5)) {
            // the low-power features of 6.0+ vfio-pci: SET only, no payload except ENTRY_WITH_WAKEUP's eventfd
            int payload = index == 4 ? vfio_device_low_power_entry_with_wakeup.SIZE : 0;
            int result = checkFeature(flags, dataSize, payload, "low-power feature " + index);
            if (result == 1 && index == 4) {
                int at = vfio_device_feature.data;
                arg.checkReadable(at, payload, "struct vfio_device_low_power_entry_with_wakeup");
                int efd = arg.u32(at + vfio_device_low_power_entry_with_wakeup.wakeup_eventfd);
                if (arg.u32(at + vfio_device_low_power_entry_with_wakeup.reserved) != 0) {
                    throw KernelError.of(Errno.EINVAL, "reserved must be 0 (vfio_pci_core_pm_entry_with_wakeup)");
                }
                OpenFile f = kernel.fileOf(efd);
                if (f == null) {
                    throw KernelError.of(Errno.EBADF, "wakeup eventfd " + efd + " is not open (eventfd_ctx_fdget)");
                }
                if (!(f instanceof EventFdFile)) {
                    throw KernelError.of(Errno.EINVAL, "fd " + efd + " is a " + f.kind() + ", not an eventfd (eventfd_ctx_fdget)");
                }
            }
            return 0;
        }
        if (index != VFIO_DEVICE_FEATURE_PCI_VF_TOKEN) {
            throw KernelError.of(Errno.ENOTTY, "device feature " + index + " is not offered by vfio-pci on " + function
                    + (function.profile().hasLowPowerFeatures() ? " (vfio_pci_core_ioctl_feature; 1-2 migration need a migration driver)" : " (vfio_pci_ioctl)"));
        }
        if (vfToken == null) {
            throw KernelError.of(Errno.ENOTTY, "PCI_VF_TOKEN applies to SR-IOV PFs; " + function + " has no SR-IOV capability"
                    + " (vfio_pci_core_feature_token)");
        }
        if (checkFeature(flags, dataSize, 16, "PCI_VF_TOKEN") == 0) {
            return 0;
        }
        arg.checkReadable(vfio_device_feature.data, 16, "the VF token UUID");
        long hi = Long.reverseBytes(arg.u64(vfio_device_feature.data));
        long lo = Long.reverseBytes(arg.u64(vfio_device_feature.data + Long.BYTES));
        vfToken = new UUID(hi, lo);
        return 0;
    }

    /** {@code vfio_check_feature} for SET-only features: 0 answers a PROBE, 1 means go on. */
    private static int checkFeature(int flags, long dataSize, long minsz, String what) throws KernelError {
        if ((flags & VFIO_DEVICE_FEATURE_GET) != 0) {
            throw KernelError.of(Errno.EINVAL, what + " cannot be read back: only SET (and PROBE) are supported (vfio_check_feature)");
        }
        if ((flags & VFIO_DEVICE_FEATURE_PROBE) != 0) {
            return 0;
        }
        if ((flags & VFIO_DEVICE_FEATURE_SET) == 0) {
            throw KernelError.of(Errno.EINVAL, "without PROBE one of GET or SET must be requested (vfio_check_feature)");
        }
        if (dataSize < minsz) {
            throw KernelError.of(Errno.EINVAL, what + " needs " + minsz + " bytes of data after the header, argsz gives "
                    + dataSize + " (vfio_check_feature)");
        }
        return 1;
    }
}

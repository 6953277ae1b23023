package org.vfio4j.sim.pci;

import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vfio4j.Errno;
import org.vfio4j.sim.core.DmaBufFile;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.device.Display;

/**
 * The display ioctls of a model that has a {@link Display}, served the way the kernel's mediated
 * display samples serve them ({@code samples/vfio-mdev/mbochs.c}: {@code mbochs_query_gfx_plane},
 * {@code mbochs_get_gfx_dmabuf}, {@code mbochs_dmabuf_find}/{@code _alloc} for planes exported
 * as dma-bufs; {@code samples/vfio-mdev/mdpy.c}: {@code mdpy_query_gfx_plane} for planes in a
 * region). This is a mediated driver's job, not vfio-pci's: a function without a display answers
 * these ioctls ENOTTY before they get here.
 */
final class MbochsDisplay {
    private final KernelServices kernel;
    /** dma-buf ids handed out, one per distinct plane layout ({@code mbochs_dmabuf_find}/{@code _alloc}). */
    private final List<Display.Plane> dmabufs = new ArrayList<>();

    MbochsDisplay(KernelServices kernel) {
        this.kernel = kernel;
    }

    private int dmabufId(Display.Plane p) {
        for (int i = 0; i < dmabufs.size(); i++) {
            Display.Plane q = dmabufs.get(i);
            if (q.drmFormat() == p.drmFormat() && q.width() == p.width() && q.height() == p.height() && q.stride() == p.stride()
                    && q.pixels().address() == p.pixels().address()) {
                return i;
            }
        }
        dmabufs.add(p);
        return dmabufs.size() - 1;
    }

    /** {@code mbochs_query_gfx_plane}: PROBE answers for the one export type; a disabled plane is zeros. */
    int queryGfxPlane(Display display, UserArg arg, SyscallContext call) throws KernelError {
        int minsz = vfio_device_gfx_plane_info.dmabuf_id + Integer.BYTES; // offsetofend(struct vfio_device_gfx_plane_info, dmabuf_id)
        int argsz = arg.copyIn(minsz, "struct vfio_device_gfx_plane_info");
        int flags = arg.u32(vfio_device_gfx_plane_info.flags);
        int type = arg.u32(vfio_device_gfx_plane_info.drm_plane_type);
        call.describe(() -> "{argsz=" + argsz + ", flags=0x" + Integer.toHexString(flags) + ", drm_plane_type=" + type + "}");
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw KernelError.of(Errno.EINVAL, "argsz " + argsz + " is below the 60 bytes up to dmabuf_id");
        }
        int export = display.export() == Display.Export.DMABUF ? VFIO_GFX_PLANE_TYPE_DMABUF : VFIO_GFX_PLANE_TYPE_REGION;
        String exportName = display.export() == Display.Export.DMABUF ? "DMABUF" : "REGION";
        if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0) {
            if (flags == (VFIO_GFX_PLANE_TYPE_PROBE | export)) {
                return 0;
            }
            throw KernelError.of(Errno.EINVAL, "PROBE answers 0 only for PROBE|" + exportName + ": this display exports planes as "
                    + exportName + " (mbochs_query_gfx_plane)");
        }
        if (flags != export) {
            throw KernelError.of(Errno.EINVAL, "flags must be exactly " + exportName + " (0x" + Integer.toHexString(export)
                    + ") for a query (mbochs_query_gfx_plane)");
        }
        arg.checkWritable(0, minsz, "struct vfio_device_gfx_plane_info");
        Optional<Display.Plane> plane = display.plane(type);
        arg.putU64(vfio_device_gfx_plane_info.drm_format_mod, plane.map(Display.Plane::drmFormatModifier).orElse(0L));
        arg.putU32(vfio_device_gfx_plane_info.x_pos, plane.map(Display.Plane::xPos).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.y_pos, plane.map(Display.Plane::yPos).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.x_hot, plane.map(Display.Plane::xHot).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.y_hot, plane.map(Display.Plane::yHot).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.drm_format, plane.map(Display.Plane::drmFormat).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.width, plane.map(Display.Plane::width).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.height, plane.map(Display.Plane::height).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.stride, plane.map(Display.Plane::stride).orElse(0));
        arg.putU32(vfio_device_gfx_plane_info.size, (int) plane.map(Display.Plane::size).orElse(0L).longValue());
        int id = plane.isEmpty() ? 0 : display.export() == Display.Export.DMABUF ? dmabufId(plane.get()) : plane.get().regionIndex();
        arg.putU32(vfio_device_gfx_plane_info.dmabuf_id, id); // region_index when the plane is in a region: they share a union
        call.describe(() -> "{flags=" + exportName + ", drm_plane_type=" + type + "} -> " + plane.map(p -> p.width() + "x" + p.height()
                + " format 0x" + Integer.toHexString(p.drmFormat()) + ", id " + id).orElse("plane disabled"));
        return 0;
    }

    /** {@code mbochs_get_gfx_dmabuf}: a new dma-buf fd for an id a query returned. */
    int gfxDmabuf(Display display, UserArg arg, SyscallContext call) throws KernelError {
        arg.checkReadable(0, 4, "the dmabuf_id (u32)");
        int id = arg.u32(0);
        call.describe(() -> "{dmabuf_id=" + Integer.toUnsignedString(id) + "}");
        if (display.export() != Display.Export.DMABUF) {
            throw KernelError.of(Errno.ENOTTY, "this display exports planes in a region, not as dma-bufs");
        }
        if (id < 0 || id >= dmabufs.size()) {
            throw KernelError.of(Errno.ENOENT, "no dma-buf has id " + Integer.toUnsignedString(id) + "; ids come from"
                    + " VFIO_DEVICE_QUERY_GFX_PLANE (mbochs_get_gfx_dmabuf)");
        }
        return kernel.installDmaBuf(new DmaBufFile(dmabufs.get(id).pixels(), id));
    }

    /** Last close: the dma-buf ids handed out are forgotten. */
    void close() {
        dmabufs.clear();
    }
}

package org.vfio4j.sim.core;

import java.lang.foreign.MemorySegment;

/** A dma-buf from VFIO_DEVICE_GET_GFX_DMABUF: a plane's pixels, which mmap reaches. */
public record DmaBufFile(MemorySegment pixels, int id) implements OpenFile {
    @Override
    public String kind() {
        return "dma-buf";
    }
}

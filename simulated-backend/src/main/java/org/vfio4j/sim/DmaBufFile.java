package org.vfio4j.sim;

import java.lang.foreign.MemorySegment;

/** A dma-buf from VFIO_DEVICE_GET_GFX_DMABUF: a plane's pixels, which mmap reaches. */
record DmaBufFile(MemorySegment pixels, int id) implements OpenFile {
    @Override
    public String kind() {
        return "dma-buf";
    }
}

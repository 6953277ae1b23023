package org.vfio4j.sim.core;

/** An open {@code /dev/vfio/vfio}. */
public record ContainerFile(Container container) implements OpenFile {
    @Override
    public String kind() {
        return "VFIO container";
    }
}

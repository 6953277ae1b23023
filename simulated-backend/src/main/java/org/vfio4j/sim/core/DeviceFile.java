package org.vfio4j.sim.core;

/** An open device fd, from VFIO_GROUP_GET_DEVICE_FD; it holds its group file. */
public record DeviceFile(VfioDevice device, GroupFile groupFile) implements OpenFile {
    @Override
    public String kind() {
        return "VFIO device";
    }
}

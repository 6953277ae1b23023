package org.vfio4j.sim;

/** An open device fd, from VFIO_GROUP_GET_DEVICE_FD; it holds its group file. */
record DeviceFile(PciFunction device, GroupFile groupFile) implements OpenFile {
    @Override
    public String kind() {
        return "VFIO device";
    }
}

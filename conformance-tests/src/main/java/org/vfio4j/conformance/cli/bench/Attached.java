package org.vfio4j.conformance.cli.bench;

import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;

/**
 * The set-up every simulator benchmark starts from, as a driver's does: a container, one group
 * attached to it, and the type1v2 IOMMU set.
 *
 * @param container the container
 * @param group     the group in it
 */
record Attached(VfioContainer container, VfioGroup group) {
    /** Opens a container and group {@code groupId} of {@code vfio}, attaches them and sets type1v2. */
    static Attached open(Vfio vfio, int groupId) throws VfioException {
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(groupId);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        return new Attached(c, g);
    }
}

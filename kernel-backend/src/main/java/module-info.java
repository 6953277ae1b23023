/**
 * The kernel backend: vfio4j's system-call seam implemented with libc downcalls through
 * {@code java.lang.foreign}. The only vfio4j module that needs {@code --enable-native-access}.
 */
module org.vfio4j.kernel {
    requires transitive org.vfio4j;
    exports org.vfio4j.kernel;
    exports org.vfio4j.kernel.user;
    provides org.vfio4j.VfioBackend with org.vfio4j.kernel.SystemBackend;
}

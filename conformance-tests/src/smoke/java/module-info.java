/**
 * A driver's first program, written the way a user writes it: only vfio4j's exported packages,
 * on the module path, no JVM flags. The module-path test runs it; the cold-start benchmark times it.
 */
module org.vfio4j.smoke {
    requires org.vfio4j.fixtures; // brings org.vfio4j and org.vfio4j.sim (requires transitive)
}

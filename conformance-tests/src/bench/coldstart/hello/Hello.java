import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The baseline of the cold-start benchmark: a JVM that makes one FFM downcall (getpid) and prints. */
public final class Hello {
    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getpid = linker.downcallHandle(linker.defaultLookup().find("getpid").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        int pid = (int) getpid.invokeExact();
        System.out.println("hello from pid " + pid);
    }
}

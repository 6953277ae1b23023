package org.vfio4j.uapi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The items of a VFIO uapi header, by name: macros, enum constants, and structs with their member
 * names (anonymous-union members belong to the enclosing struct). Read either from a C header or
 * from the committed inventory {@code seed-items.txt}, one item a line:
 * {@code define NAME}, {@code enum NAME}, {@code struct NAME member...}.
 */
record SeedHeader(Set<String> defines, Set<String> enums, Map<String, List<String>> structs) {

    static final String INVENTORY = "seed-items.txt";

    /** The committed inventory of the seed header's items. */
    static SeedHeader inventory() throws IOException {
        try (var in = SeedHeader.class.getResourceAsStream(INVENTORY)) {
            if (in == null) {
                throw new IOException("missing test resource " + INVENTORY);
            }
            Set<String> defines = new LinkedHashSet<>();
            Set<String> enums = new LinkedHashSet<>();
            Map<String, List<String>> structs = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes()).split("\n")) {
                String[] w = line.trim().split("\\s+");
                switch (w[0]) {
                    case "define" -> defines.add(w[1]);
                    case "enum" -> enums.add(w[1]);
                    case "struct" -> structs.put(w[1], List.of(w).subList(2, w.length));
                    case "", "#" -> { }
                    default -> throw new IOException("bad inventory line: " + line);
                }
            }
            return new SeedHeader(defines, enums, structs);
        }
    }

    /** Parses the items of a C header (only the shapes the VFIO header uses). */
    static SeedHeader parse(String text) {
        String src = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
        Set<String> defines = new LinkedHashSet<>();
        Matcher d = Pattern.compile("(?m)^\\s*#\\s*define\\s+([A-Za-z_][A-Za-z0-9_]*)").matcher(src);
        while (d.find()) {
            defines.add(d.group(1));
        }
        // the include guard is not part of the ABI
        defines.removeIf(n -> n.endsWith("_H"));
        String body = src.replaceAll("(?m)^\\s*#.*(\\\\\\n.*)*$", " ");

        Set<String> enums = new LinkedHashSet<>();
        Matcher e = Pattern.compile("(?s)\\benum\\s*\\{(.*?)\\}\\s*;").matcher(body);
        while (e.find()) {
            for (String item : e.group(1).split(",")) {
                String name = item.trim().split("[\\s=]")[0];
                if (!name.isEmpty()) {
                    enums.add(name);
                }
            }
        }

        Map<String, List<String>> structs = new LinkedHashMap<>();
        Matcher s = Pattern.compile("\\bstruct\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\{").matcher(body);
        while (s.find()) {
            int depth = 1;
            int i = s.end();
            while (depth > 0) {
                char c = body.charAt(i++);
                depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            }
            List<String> members = new ArrayList<>();
            for (String decl : body.substring(s.end(), i - 1).split(";")) {
                String t = decl.replaceAll("^[^{]*\\{", "").replace("}", "").trim();
                Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(\\[[^\\]]*\\])?\\s*$").matcher(t);
                if (!t.isEmpty() && m.find()) {
                    members.add(m.group(1));
                }
            }
            structs.put(s.group(1), members);
        }
        return new SeedHeader(defines, enums, structs);
    }

    /** The inventory text for this header, as committed in {@code seed-items.txt}. */
    String toInventory() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Items of the VFIO uapi header vfio4j covers (names only); checked by SeedInventoryTest.\n");
        defines.forEach(n -> sb.append("define ").append(n).append('\n'));
        enums.forEach(n -> sb.append("enum ").append(n).append('\n'));
        structs.forEach((n, m) -> sb.append("struct ").append(n).append(' ').append(String.join(" ", m)).append('\n'));
        return sb.toString();
    }

    /**
     * Where the seed header is, if this checkout sits beside the project's {@code shared/} folder
     * (or {@code -Dvfio4j.seedHeader} names it).
     */
    static Optional<Path> locateSeed() {
        String explicit = System.getProperty("vfio4j.seedHeader");
        if (explicit != null) {
            return Optional.of(Path.of(explicit)).filter(Files::isRegularFile);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/reference/vfio-seed.h");
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}

package io.peft4j.kernel.display;

import io.peft4j.report.Charts;
import io.peft4j.report.RichDisplay;
import org.jfree.chart.JFreeChart;
import tech.tablesaw.api.Table;

import javax.imageio.ImageIO;
import java.awt.image.RenderedImage;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns a cell value into a Jupyter MIME bundle (charts such as {@code LineChart} are {@link RichDisplay}s):
 * <ol>
 *   <li>{@link RichDisplay}: its own bundle ({@code byte[]} images base64-encoded);</li>
 *   <li>a {@link RenderedImage} ({@code BufferedImage}): PNG;</li>
 *   <li>a JFreeChart {@link JFreeChart}: PNG and SVG (720 x 400);</li>
 *   <li>the DSL's {@code FineTuned} and {@code Adapter}: a short HTML summary ({@link DslSummaries});</li>
 *   <li>a Tablesaw {@link Table}: escaped HTML plus a text/plain fallback;</li>
 *   <li>any object with a public no-argument {@code toTable()} returning a {@link Table}: that table,
 *       with the object's {@code toString()} as text;</li>
 *   <li>anything else: {@code text/plain} of its string form (arrays element-wise).</li>
 * </ol>
 */
public final class MimeRenderer {
    private MimeRenderer() {}

    /** MIME type to JSON-ready content (strings only). */
    public static Map<String, String> render(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof RichDisplay rd) {
            Map<String, Object> bundle = rd.mimeBundle();
            if (bundle != null) {
                for (Map.Entry<String, Object> e : bundle.entrySet()) {
                    if (e.getKey() == null || e.getValue() == null) continue;
                    Object v = e.getValue();
                    out.put(e.getKey(), v instanceof byte[] b ? Base64.getEncoder().encodeToString(b) : v.toString());
                }
            }
            out.putIfAbsent("text/plain", safeToString(value));
            return out;
        }
        if (value instanceof RenderedImage img) {
            out.put("image/png", Base64.getEncoder().encodeToString(png(img)));
            out.put("text/plain", "image " + img.getWidth() + " x " + img.getHeight());
            return out;
        }
        if (value instanceof JFreeChart chart) {
            for (Map.Entry<String, Object> e : Charts.bundle(chart, 720, 400, null).entrySet()) {
                Object v = e.getValue();
                out.put(e.getKey(), v instanceof byte[] b ? Base64.getEncoder().encodeToString(b) : v.toString());
            }
            return out;
        }
        Map<String, String> summary = DslSummaries.render(value);
        if (summary != null) return summary;
        Table table = value instanceof Table t ? t : tableOf(value);
        if (table != null) {
            out.put("text/html", io.peft4j.report.Tables.html(table));
            out.put("text/plain", value instanceof Table ? table.print() : safeToString(value));
            return out;
        }
        out.put("text/plain", textOf(value));
        return out;
    }

    static byte[] png(RenderedImage img) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, "png", bytes)) throw new IllegalArgumentException("no PNG writer for this image");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static String textOf(Object value) {
        if (value == null) return "null";
        if (value.getClass().isArray()) {
            String s = Arrays.deepToString(new Object[]{value});
            return s.substring(1, s.length() - 1);
        }
        return safeToString(value);
    }

    private static String safeToString(Object value) {
        try {
            return String.valueOf(value);
        } catch (RuntimeException e) {
            return value.getClass().getName() + " (toString failed: " + e + ")";
        }
    }

    private static Table tableOf(Object value) {
        if (value == null) return null;
        try {
            Method m = value.getClass().getMethod("toTable");
            if (m.getParameterCount() != 0 || !Table.class.isAssignableFrom(m.getReturnType())) return null;
            m.trySetAccessible();
            return (Table) m.invoke(value);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}

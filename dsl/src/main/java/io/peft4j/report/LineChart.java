package io.peft4j.report;

import java.util.List;
import java.util.Objects;

/**
 * A line chart description, rendered by {@link Charts} as PNG or SVG. Series on the left axis use
 * {@code yLabel}; series in {@code right} use a second y axis labelled {@code rightLabel} (e.g.
 * parameter count next to ROUGE).
 */
public record LineChart(String title, String xLabel, String yLabel, List<Series> left, String rightLabel, List<Series> right)
        implements RichDisplay {
    /** One line: points (x[i], y[i]); NaN y values are skipped. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(x, "x");
            Objects.requireNonNull(y, "y");
            if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length + " y values");
            if (x.length == 0) throw new IllegalArgumentException("series '" + name + "' is empty");
            x = x.clone(); y = y.clone();
        }
    }

    public LineChart {
        Objects.requireNonNull(title, "title");
        xLabel = xLabel == null ? "" : xLabel;
        yLabel = yLabel == null ? "" : yLabel;
        rightLabel = rightLabel == null ? "" : rightLabel;
        left = List.copyOf(left);
        right = right == null ? List.of() : List.copyOf(right);
        if (left.isEmpty()) throw new IllegalArgumentException("chart '" + title + "' needs at least one series on the left axis");
    }

    /** In a notebook: PNG and SVG (720 x 400) with the title and series names as text. */
    @Override public java.util.Map<String, Object> mimeBundle() { return Charts.bundle(this, 720, 400); }

    /** The same chart with another title. */
    public LineChart titled(String newTitle) { return new LineChart(newTitle, xLabel, yLabel, left, rightLabel, right); }
}

using GracefulUpgrade.Harness;
using System.Globalization;
using System.Net;
using System.Text;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>
/// The run as a picture, plain SVG written by hand: ab's requests per second, each second split
/// by the versions' shares that the sampler saw, over a strip of the sampler's shares at a finer
/// step; the handover shaded and its steps marked.
/// </summary>
internal sealed class SvgChart(DemoOutcome outcome)
{
    private const double Width = 1000, Height = 556;
    private const double Left = 78, Right = Width - 28, Top = 136, Bottom = 440, StripTop = 452, StripBottom = 474;
    private const string Font = "font-family=\"'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\"";
    private const string ErrorColour = "#D62728", Ink = "#1A1A1A", Muted = "#666666", Unattributed = "#C8C8C8";

    private readonly StringBuilder _svg = new();
    private readonly ChartSeries _series = ChartSeries.Of(outcome);
    private double _xMax, _yMax;

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Render());
    }

    public string Render()
    {
        _xMax = _series.End.TotalSeconds;
        // Headroom above the highest stack for the step labels.
        _yMax = NiceCeiling(_series.Rates.Select(r => r.Total).DefaultIfEmpty(1).Max() * 1.35);

        Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" {Font}>");
        Append($"<rect width=\"{Width}\" height=\"{Height}\" rx=\"12\" fill=\"#FFFFFF\" stroke=\"#E4E4E4\"/>");
        Header();
        HandoverBand();
        Grid();
        Stack();
        ShareStrip();
        XAxis();
        Errors();
        Markers();
        Append("</svg>");
        return _svg.ToString();
    }

    private string Colour(string version, bool dark = false) =>
        version == outcome.OldVersion ? (dark ? "#1F4E85" : "#4A7FC1")
        : version == outcome.NewVersion ? (dark ? "#B85400" : "#F28E2B")
        : (dark ? "#555555" : "#A0A0A0");

    private void Header()
    {
        var ab = outcome.Ab;
        var verdict = outcome.Passed ? "no request lost" : $"{ab.Failed + ab.Non2xx + outcome.SamplerErrors:N0} requests failed";
        Text(Left, 42, $"Upgrade {outcome.OldVersion} → {outcome.NewVersion} under load: {verdict}", 22, Ink, weight: "bold");
        var handover = outcome.Upgrade.Handover is { } h ? $" · handover {h.TotalSeconds:F2} s" : "";
        var longest = ab.LongestMs is { } ms ? $", longest request {ms:N0} ms" : "";
        Text(Left, 64, outcome.LoadCommand, 13, "#555555");
        Text(Left, 82, $"{ab.Completed:N0} completed, {ab.Failed:N0} failed, {ab.Non2xx:N0} non-2xx{longest}{handover}", 13, "#555555");

        var x = Left;
        foreach (var version in _series.Versions)
        {
            var label = version + (version == outcome.OldVersion ? " (old)" : version == outcome.NewVersion ? " (new)" : " (not ours)");
            Append($"<rect x=\"{F(x)}\" y=\"95\" width=\"16\" height=\"11\" rx=\"2\" fill=\"{Colour(version)}\"/>");
            Text(x + 22, 105, label, 13, "#333333");
            x += 22 + TextWidth(label, 13) + 22;
        }
        if (_series.Rates.Any(r => r.Unattributed > 0.5))
        {
            const string unknown = "no sampler answer that second";
            Append($"<rect x=\"{F(x)}\" y=\"95\" width=\"16\" height=\"11\" rx=\"2\" fill=\"{Unattributed}\"/>");
            Text(x + 22, 105, unknown, 13, "#333333");
            x += 22 + TextWidth(unknown, 13) + 22;
        }
        // A fleet rollout has no single dpkg -i: no band, so no legend for it.
        if (outcome.Upgrade[UpgradeStep.DpkgStarted] is not null)
        {
            const string band = "handover: dpkg -i until the old version stopped";
            Append($"<rect x=\"{F(x)}\" y=\"95\" width=\"16\" height=\"11\" fill=\"#F5C542\" fill-opacity=\"0.35\" stroke=\"#D9A400\" stroke-width=\"0.8\"/>");
            Text(x + 22, 105, band, 13, "#333333");
            x += 22 + TextWidth(band, 13) + 22;
        }
        if (outcome.SamplerErrors > 0)
        {
            Append($"<path d=\"M{F(x + 8)},95 l6,11 h-12 z\" fill=\"{ErrorColour}\"/>");
            Text(x + 22, 105, $"errors ({outcome.SamplerErrors:N0})", 13, "#333333");
        }
        Text(Left, 125, "Bar height: ab's requests per second (ab -g, whole seconds); colours: each version's share of the sampler's responses in that second.",
            11, "#777777");
    }

    private void HandoverBand()
    {
        if (outcome.Upgrade[UpgradeStep.DpkgStarted] is not { } start)
        {
            return;
        }
        var end = outcome.Upgrade[UpgradeStep.OldStopped] ?? outcome.Upgrade[UpgradeStep.DpkgFinished] ?? start;
        var (x1, x2) = (X(start.TotalSeconds), Math.Max(X(end.TotalSeconds), X(start.TotalSeconds) + 1.5));
        Append($"<rect x=\"{F(x1)}\" y=\"{Top}\" width=\"{F(x2 - x1)}\" height=\"{StripBottom - Top}\" fill=\"#F5C542\" fill-opacity=\"0.25\"/>");
    }

    private void Grid()
    {
        var step = NiceStep(_yMax / 5);
        for (double y = 0; y <= _yMax + step / 1000; y += step)
        {
            Append($"<line x1=\"{Left}\" x2=\"{Right}\" y1=\"{F(Y(y))}\" y2=\"{F(Y(y))}\" stroke=\"{(y == 0 ? "#777777" : "#EBEBEB")}\"/>");
            Text(Left - 8, Y(y) + 4, y.ToString("N0", CultureInfo.InvariantCulture), 12, Muted, anchor: "end");
        }
        Append($"<text transform=\"translate(26 {F((Top + Bottom) / 2)}) rotate(-90)\" font-size=\"13\" fill=\"#444444\" text-anchor=\"middle\">ab requests per second</text>");
    }

    /// <summary>One bar per second of ab's load, its height ab's rate, split by version: old at the bottom.</summary>
    private void Stack()
    {
        Append("<g shape-rendering=\"crispEdges\">");
        foreach (var bar in _series.Rates)
        {
            var (x1, x2) = (X(bar.From.TotalSeconds), X(bar.To.TotalSeconds));
            var below = 0.0;
            foreach (var (version, rate) in _series.Versions.Where(bar.ByVersion.ContainsKey).Select(v => (v, bar.ByVersion[v]))
                .Append(("", bar.Unattributed)))
            {
                if (rate <= 0)
                {
                    continue;
                }
                var fill = version.Length == 0 ? Unattributed : Colour(version);
                Append($"<rect x=\"{F(x1)}\" y=\"{F(Y(below + rate))}\" width=\"{F(Math.Max(x2 - x1 - 1, 0.5))}\" height=\"{F(Y(below) - Y(below + rate))}\" fill=\"{fill}\" fill-opacity=\"0.85\"/>");
                below += rate;
            }
        }
        Append("</g>");
    }

    /// <summary>The sampler's responses per bucket split by version, as shares of 100%: who answered, at a glance.</summary>
    private void ShareStrip()
    {
        Text(Left - 8, (StripTop + StripBottom) / 2 + 4, "sampler", 12, Muted, anchor: "end");
        var width = X(_series.ShareBucket.TotalSeconds) - Left;
        // Grey where no sampler response came back within a bucket (all still waiting in the queue).
        Append($"<rect x=\"{Left}\" y=\"{StripTop}\" width=\"{Right - Left}\" height=\"{StripBottom - StripTop}\" fill=\"#E9E9E9\"/>");
        Append("<g shape-rendering=\"crispEdges\">");
        for (int i = 0; i < _series.ShareCount; i++)
        {
            var counts = _series.Shares[i];
            var total = (double)counts.Values.Sum();
            var y = (double)StripTop;
            foreach (var version in _series.Versions.Where(counts.ContainsKey))
            {
                var height = counts[version] / total * (StripBottom - StripTop);
                Append($"<rect x=\"{F(Left + i * width)}\" y=\"{F(y)}\" width=\"{F(width + 0.3)}\" height=\"{F(height)}\" fill=\"{Colour(version)}\"/>");
                y += height;
            }
        }
        Append("</g>");
        Append($"<rect x=\"{Left}\" y=\"{StripTop}\" width=\"{Right - Left}\" height=\"{StripBottom - StripTop}\" fill=\"none\" stroke=\"#CCCCCC\"/>");
    }

    private void XAxis()
    {
        var step = NiceStep(_xMax / 10);
        for (double x = 0; x <= _xMax + step / 1000; x += step)
        {
            Append($"<line x1=\"{F(X(x))}\" x2=\"{F(X(x))}\" y1=\"{StripBottom}\" y2=\"{StripBottom + 5}\" stroke=\"#777777\"/>");
            Text(X(x), StripBottom + 20, x.ToString(step < 1 ? "0.0" : "0", CultureInfo.InvariantCulture), 12, Muted, anchor: "middle");
        }
        Text((Left + Right) / 2, StripBottom + 42, "seconds since the load started", 13, "#444444", anchor: "middle");
        Text(Left, Height - 12, $"{outcome.Upgrade.Steps.Count} steps timed from systemd's journal; sampler ({outcome.SamplerDescription}) beside ab, strip in {_series.ShareBucket.TotalMilliseconds:F0} ms buckets", 11, "#999999");
    }

    private void Errors()
    {
        foreach (var bucket in _series.ErrorBuckets)
        {
            Append($"<path d=\"M{F(Xb(bucket))},{F(Bottom - 12)} l6,11 h-12 z\" fill=\"{ErrorColour}\"/>");
        }
    }

    /// <summary>A vertical line at each step, labelled; labels that would overlap go on the next row down.</summary>
    private void Markers()
    {
        var upgrade = outcome.Upgrade;
        var markers = new List<(TimeSpan At, string Label, string Colour, string Dash)>();
        void Add(TimeSpan? at, string label, string colour, string dash)
        {
            if (at is { } value)
            {
                markers.Add((value, label, colour, dash));
            }
        }
        Add(upgrade[UpgradeStep.DpkgStarted], $"dpkg -i {outcome.NewVersion}", "#333333", "5 4");
        Add(upgrade[UpgradeStep.NewReady], $"{outcome.NewVersion} ready", Colour(outcome.NewVersion, dark: true), "");
        Add(upgrade[UpgradeStep.OldDraining], $"{outcome.OldVersion} draining", Colour(outcome.OldVersion, dark: true), "2 3");
        Add(upgrade[UpgradeStep.OldStopped], $"{outcome.OldVersion} stopped", Colour(outcome.OldVersion, dark: true), "");
        Add(outcome.LoadFinished, "ab done", "#888888", "1 3");

        var rowEnds = new List<double>();
        foreach (var (at, label, colour, dash) in markers.OrderBy(m => m.At))
        {
            var x = X(Math.Min(at.TotalSeconds, _xMax));
            var width = TextWidth(label, 12) + 8;
            var leftward = x + width > Right;
            var (from, to) = leftward ? (x - width, x) : (x, x + width);
            var row = rowEnds.FindIndex(end => end < from);
            if (row < 0)
            {
                rowEnds.Add(to);
                row = rowEnds.Count - 1;
            }
            rowEnds[row] = to;
            var y = Top + 14 + row * 16;
            Append($"<line x1=\"{F(x)}\" x2=\"{F(x)}\" y1=\"{F(y - 11)}\" y2=\"{StripBottom}\" stroke=\"{colour}\" stroke-width=\"1.5\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>");
            Text(leftward ? x - 4 : x + 4, y, label, 12, colour, anchor: leftward ? "end" : "start", halo: true);
        }
    }

    private double X(double seconds) => Left + seconds / _xMax * (Right - Left);

    /// <summary>The middle of a bucket.</summary>
    private double Xb(int bucket) => X((bucket + 0.5) * _series.ShareBucket.TotalSeconds);

    private double Y(double rate) => Bottom - rate / _yMax * (Bottom - Top);

    private void Text(double x, double y, string text, double size, string colour, string anchor = "start", string weight = "normal", bool halo = false) =>
        Append($"<text x=\"{F(x)}\" y=\"{F(y)}\" font-size=\"{F(size)}\" fill=\"{colour}\" text-anchor=\"{anchor}\" font-weight=\"{weight}\"" +
            (halo ? " stroke=\"#FFFFFF\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"" : "") + $">{WebUtility.HtmlEncode(text)}</text>");

    /// <summary>Roughly how wide a line of text is: enough to keep labels apart.</summary>
    private static double TextWidth(string text, double size) => text.Length * size * 0.58;

    private static double NiceStep(double rough)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(rough, 1e-9))));
        var fraction = rough / magnitude;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * magnitude;
    }

    private static double NiceCeiling(double value) => Math.Ceiling(value / NiceStep(value / 5)) * NiceStep(value / 5);

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private void Append(string element) => _svg.Append(element).Append('\n');
}

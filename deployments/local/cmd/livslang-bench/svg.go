package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// chart is a line chart written as SVG by hand (no plotting dependency).
type chart struct {
	File    string
	Title   string
	XLabel  string
	YLabel  string
	LogY    bool
	Series  []series
	Markers []marker // vertical lines, e.g. where a step or phase starts
}

type series struct {
	Name   string
	X, Y   []float64 // NaN in Y breaks the line
	Dashed bool
}

type marker struct {
	X     float64
	Label string
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"}

const (
	svgW, svgH                     = 960, 440
	padL, padR, padT, padB float64 = 72, 190, 44, 52
)

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// niceStep is a 1, 2 or 5 × 10^n step giving about n ticks over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtTick(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 10000:
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func (c chart) svg() []byte {
	// Ranges.
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for i := range s.X {
			if i >= len(s.Y) || math.IsNaN(s.Y[i]) || math.IsInf(s.Y[i], 0) {
				continue
			}
			if c.LogY && s.Y[i] <= 0 {
				continue
			}
			minX, maxX = math.Min(minX, s.X[i]), math.Max(maxX, s.X[i])
			minY, maxY = math.Min(minY, s.Y[i]), math.Max(maxY, s.Y[i])
		}
	}
	for _, m := range c.Markers {
		minX, maxX = math.Min(minX, m.X), math.Max(maxX, m.X)
	}
	if math.IsInf(minX, 1) {
		minX, maxX, minY, maxY = 0, 1, 0, 1
	}
	if maxX == minX {
		maxX = minX + 1
	}
	var yTicks []float64
	var ly func(float64) float64 // value → 0..1
	if c.LogY {
		if math.IsInf(minY, 1) {
			minY, maxY = 1, 10
		}
		lo, hi := math.Floor(math.Log10(minY)), math.Ceil(math.Log10(maxY))
		if hi <= lo {
			hi = lo + 1
		}
		for e := lo; e <= hi; e++ {
			yTicks = append(yTicks, math.Pow(10, e))
		}
		ly = func(v float64) float64 { return (math.Log10(v) - lo) / (hi - lo) }
	} else {
		minY = math.Min(minY, 0)
		if maxY <= minY {
			maxY = minY + 1
		}
		step := niceStep(maxY-minY, 5)
		maxY = math.Ceil(maxY/step) * step
		for v := minY; v <= maxY+step/2; v += step {
			yTicks = append(yTicks, v)
		}
		lo, hi := minY, maxY
		ly = func(v float64) float64 { return (v - lo) / (hi - lo) }
	}
	plotW, plotH := svgW-padL-padR, svgH-padT-padB
	px := func(x float64) float64 { return padL + (x-minX)/(maxX-minX)*plotW }
	py := func(y float64) float64 { return padT + plotH - ly(y)*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", padL, esc(c.Title))
	// Grid and y ticks.
	for _, t := range yTicks {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", padL, y, padL+plotW, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-6, y+4, esc(fmtTick(t)))
	}
	// X ticks.
	xs := niceStep(maxX-minX, 8)
	for v := math.Ceil(minX/xs) * xs; v <= maxX+xs/1000; v += xs {
		x := px(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#f0f0f0"/>`+"\n", x, padT, x, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, padT+plotH+16, esc(fmtTick(v)))
	}
	// Axes and labels.
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", padL, padT, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", padL+plotW/2, float64(svgH)-12, esc(c.XLabel))
	fmt.Fprintf(&b, `<text x="16" y="%.1f" text-anchor="middle" transform="rotate(-90 16 %.1f)">%s</text>`+"\n", padT+plotH/2, padT+plotH/2, esc(c.YLabel))
	// Markers; a label too close to the previous one goes one line lower (three lines, then none).
	lastX := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, m := range c.Markers {
		x := px(m.X)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="3,3"/>`+"\n", x, padT, x, padT+plotH)
		width := 5.5*float64(len([]rune(m.Label))) + 8
		for row := range lastX {
			if x >= lastX[row] {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#555">%s</text>`+"\n", x+3, padT+11+12*float64(row), esc(m.Label))
				lastX[row] = x + width
				break
			}
		}
	}
	// Series.
	for i, s := range c.Series {
		color := palette[i%len(palette)]
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6,4"`
		}
		var pts []string
		flush := func() {
			if len(pts) == 1 {
				xy := strings.Split(pts[0], ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2" fill="%s"/>`+"\n", xy[0], xy[1], color)
			} else if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.6"%s points="%s"/>`+"\n", color, dash, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for j := range s.X {
			if j >= len(s.Y) {
				break
			}
			y := s.Y[j]
			if math.IsNaN(y) || math.IsInf(y, 0) || (c.LogY && y <= 0) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(y)))
		}
		flush()
		// Legend.
		ly := padT + 8 + float64(i)*18
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`+"\n", padL+plotW+12, ly, padL+plotW+34, ly, color, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", padL+plotW+40, ly+4, esc(s.Name))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// bucketRate counts times into buckets of width w seconds from t0 and returns per-second rates.
func bucketRate(offsets []float64, w float64, n int) []float64 {
	out := make([]float64, n)
	for _, o := range offsets {
		i := int(o / w)
		if i >= 0 && i < n {
			out[i]++
		}
	}
	for i := range out {
		out[i] /= w
	}
	return out
}

// bucketPercentile groups values by their offset into buckets of width w and takes percentile p of
// each; buckets without values are NaN.
func bucketPercentile(offsets, values []float64, w float64, n int, p float64) []float64 {
	groups := make([][]float64, n)
	for i, o := range offsets {
		k := int(o / w)
		if k >= 0 && k < n {
			groups[k] = append(groups[k], values[i])
		}
	}
	out := make([]float64, n)
	for i, g := range groups {
		if len(g) == 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = percentile(g, p)
	}
	return out
}

// axis is the bucket centres 0.5w, 1.5w, … offset by x0.
func axis(n int, w, x0 float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x0 + (float64(i)+0.5)*w
	}
	return out
}
